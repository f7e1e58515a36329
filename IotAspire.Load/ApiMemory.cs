using System.Diagnostics;

namespace IotAspire.Load;

/// <summary>The resident memory of the API process on this machine, sampled while the load runs (Linux /proc).</summary>
public sealed class ApiMemory
{
    private readonly Process? api = Process.GetProcessesByName("IotAspire.Api").FirstOrDefault();

    public long? Start { get; private set; }
    public long? Peak { get; private set; }
    public long? Last { get; private set; }

    public void Sample()
    {
        if (api is null)
        {
            return;
        }

        api.Refresh();
        Last = api.WorkingSet64;
        Start ??= Last;
        Peak = Math.Max(Peak ?? 0, Last.Value);
    }
}
