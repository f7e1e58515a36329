using System.Globalization;
using IotAspire.Api.Errors;

namespace IotAspire.Api.ReadingsStore;

/// <summary>The functions an answer's buckets compute: only what the caller selected is asked of PostgreSQL.</summary>
[Flags]
public enum BucketFunction
{
    None = 0,
    Mean = 1,
    Min = 2,
    Max = 4,
    Sum = 8,
    Count = 16,
    Stddev = 32,
    First = 64,
    Last = 128,
    Percentiles = 256,
}

/// <summary>
/// The functions to compute per bucket and the fractions of the selected percentiles (sorted, each once).
/// Mean, minimum, maximum, sum and count are exact from the rollups; the others need the readings
/// (<see cref="NeedsReadings"/>), so an answer that selects one of them is read from the readings alone.
/// </summary>
public sealed record BucketFunctions(BucketFunction Selected, IReadOnlyList<double> PercentileFractions)
{
    /// <summary>Distinct percentiles one answer may ask for: each is one more sort of every bucket's readings.</summary>
    public const int MaxPercentiles = 10;

    /// <summary>
    /// Values one bucket of an answer may hold, aliases and repeats counted: every function once (8), every percentile
    /// (10), and room for a few aliases. A function selected 1 700 times under aliases is computed once but written
    /// 1 700 times: the size of the answer is what this bounds.
    /// </summary>
    public const int MaxValuesPerBucket = 32;

    /// <summary>How many values each bucket of the answer holds (selected fields, aliases and repeats counted): what
    /// the read's cost counts besides the work (<see cref="HeavyReads.ReadCost"/>).</summary>
    public int ValuesPerBucket { get; init; } = 1;

    /// <summary>What the rollups keep exactly: what live updates and the REST API compute.</summary>
    public static readonly BucketFunctions FromRollups = new(
        BucketFunction.Mean | BucketFunction.Min | BucketFunction.Max | BucketFunction.Sum | BucketFunction.Count, []);

    public static readonly BucketFunctions MeanOnly = new(BucketFunction.Mean, []);

    private const BucketFunction ReadingsOnly = BucketFunction.Stddev | BucketFunction.First | BucketFunction.Last | BucketFunction.Percentiles;

    public bool NeedsReadings => (Selected & ReadingsOnly) != 0;

    public bool Has(BucketFunction function) => (Selected & function) != 0;

    /// <summary>
    /// The functions named by the selected <c>AggregatedValue</c> fields, or the first reason to refuse them
    /// (a pure rule). <paramref name="percentiles"/>: the <c>p</c> of every selected <c>percentile</c>.
    /// </summary>
    public static BucketFunctions Of(IEnumerable<string> fieldNames, IEnumerable<double> percentiles)
    {
        var selected = BucketFunction.None;
        var values = 0;
        foreach (var name in fieldNames)
        {
            values++;
            selected |= name switch
            {
                "value" or "mean" => BucketFunction.Mean,
                "min" => BucketFunction.Min,
                "max" => BucketFunction.Max,
                "sum" => BucketFunction.Sum,
                "count" => BucketFunction.Count,
                "stddev" => BucketFunction.Stddev,
                "first" => BucketFunction.First,
                "last" => BucketFunction.Last,
                "percentile" => BucketFunction.Percentiles,
                _ => BucketFunction.None,
            };
        }

        var fractions = new SortedSet<double>();
        foreach (var p in percentiles)
        {
            if (!(p is >= 0 and <= 1))
            {
                throw ApiErrors.BadInput($"percentile(p: {p.ToString(CultureInfo.InvariantCulture)}): p must be between 0 and 1, e.g. 0.95 for the 95th percentile.");
            }

            fractions.Add(p == 0 ? 0 : p);   // -0.0 and 0.0 are one percentile
        }

        if (fractions.Count > MaxPercentiles)
        {
            throw ApiErrors.BadInput($"One query may ask for at most {MaxPercentiles} different percentiles, not {fractions.Count}.");
        }

        if (values > MaxValuesPerBucket)
        {
            throw ApiErrors.BadInput($"A bucket may hold at most {MaxValuesPerBucket} values, aliases and repeats counted, not {values}; select each function once.");
        }

        return new BucketFunctions(selected, [.. fractions]) { ValuesPerBucket = Math.Max(1, values) };
    }
}
