using Xunit;

// libtorch's RNG and thread count are process-wide: tests that seed them must not interleave with others.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
