namespace IotAspire.Tests.Infrastructure;

/// <summary>The tests that share the one <see cref="AppHostFixture"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}

/// <summary>
/// The longer-running end-to-end tests (the IDE in a browser, the bench and load commands, heavy reads and exports,
/// alerts, fuzzing, the sign-in rate limit), on an AppHost of their own: the two collections run side by side, so the
/// suite takes about half the time it took on one AppHost.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SecondAppHostCollection : ICollectionFixture<SecondAppHostFixture>
{
    public const string Name = "SecondAppHost";
}

/// <summary>
/// The end-to-end tests that also run against a Citus cluster (readings, devices, aggregates, subscriptions,
/// retention), one after another, in a second AppHost after the first collection's.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CitusAppHostCollection : ICollectionFixture<CitusAppHostFixture>
{
    public const string Name = "CitusAppHost";
}
