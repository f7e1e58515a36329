namespace IotAspire.Tests.Infrastructure;

/// <summary>The tests that share the one <see cref="AppHostFixture"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
