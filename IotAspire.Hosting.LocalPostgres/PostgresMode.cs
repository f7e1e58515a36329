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
    /// <summary>
    /// A Citus cluster (distributed PostgreSQL): a coordinator and <c>Postgres:CitusWorkers</c> workers, from
    /// the Citus image where a container runtime answers, otherwise from local binaries with Citus installed.
    /// The plan's <see cref="PostgresHostingPlan.Mode"/> then says which of those two it is.
    /// </summary>
    Citus,
}
