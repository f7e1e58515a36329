namespace IotAspire.Api.Grafana;

/// <summary>Configured under <c>Grafana</c>; the AppHost sets it from its <c>grafana-db-password</c> parameter.</summary>
public sealed class GrafanaReaderOptions
{
    public const string Section = "Grafana";
    public const string RoleName = "grafana_reader";

    /// <summary>How long one of Grafana's statements may run (a role setting, so it holds for every panel).</summary>
    public static readonly TimeSpan StatementTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The password of the <c>grafana_reader</c> role; no role is made without it.</summary>
    public string? ReaderPassword { get; set; }
}
