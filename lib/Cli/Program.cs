using TorchSharp;
namespace CorrKD.Cli;
public static class Program
{
    public static int Main(string[] args)
    {
        var t = torch.ones(2, 3);
        Console.WriteLine($"torch ok: {t.sum().item<float>()}");
        return 0;
    }
}
