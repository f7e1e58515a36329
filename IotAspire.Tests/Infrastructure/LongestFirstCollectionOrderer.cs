using Xunit.Abstractions;

[assembly: TestCollectionOrderer("IotAspire.Tests.Infrastructure.LongestFirstCollectionOrderer", "IotAspire.Tests")]

namespace IotAspire.Tests.Infrastructure;

/// <summary>
/// Starts the longest test collections first: collections run three at a time (xunit.runner.json), and a long one
/// started last would run on alone while the other slots idle. The order is by the time each took in a parallel run on
/// this 2-core machine (2026-12-07); collections not named here follow in xunit's order. Only the order changes: every
/// collection runs.
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    /// <summary>Collections by name, the longest first (a class without a collection is a collection named after it).</summary>
    private static readonly string[] Longest =
    [
        SecondAppHostCollection.Name,
        CitusAppHostCollection.Name,
        AppHostCollection.Name,
        "CitusRestartTests",
        "OutageTests",
        "DatabaseKilledTests",
        "ThrottledTokensTests",
        "ApiCrashTests",
        "LocalPostgresLifecycleTests",
        "ReplicaTests",
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => Rank(collection.DisplayName));

    private static int Rank(string displayName)
    {
        for (var i = 0; i < Longest.Length; i++)
        {
            // xunit names a class's own collection "Test collection for <full class name>".
            if (displayName == Longest[i] || displayName.EndsWith("." + Longest[i], StringComparison.Ordinal))
            {
                return i;
            }
        }

        return Longest.Length;
    }
}
