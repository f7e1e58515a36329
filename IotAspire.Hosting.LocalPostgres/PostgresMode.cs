namespace IotAspire.Hosting.LocalPostgres;

/// <summary>Where PostgreSQL comes from; configured as <c>Postgres:Mode</c>.</summary>
public enum PostgresMode
{
    /// <summary>A container where a container runtime answers, otherwise local binaries.</summary>
    Auto,
    /// <summary>Aspire's PostgreSQL container (needs Docker or Podman).</summary>
    Container,
    /// <summary>The PostgreSQL server binaries installed on this machine.</summary>
    Local,
}
