namespace IotAspire.Tests.Infrastructure;

/// <summary>The tests that share the one <see cref="AppHostFixture"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
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
