using System.Globalization;
using IotAspire.Api.Errors;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.RawReadings;

/// <summary>
/// The parameters of <c>GET /api/export</c>: <c>deviceIds</c> (comma-separated or repeated), <c>from</c>, <c>to</c>,
/// <c>customerId</c>, <c>format</c> (csv, or parquet for raw readings); with <c>aggregationSizeMinutes</c> the buckets of <c>deviceAggregates</c>
/// instead of the raw readings, with <c>functions</c> (mean, min, max, sum, count, stddev, first, last, p50, p99.9 ...;
/// default mean), <c>fill</c> and <c>timeZone</c> as there. A parameter it does not know is refused by name, so a
/// misspelt filter never exports more than was meant.
/// </summary>
public sealed record ExportQuery(
    string Format, IReadOnlyList<Guid>? DeviceIds, DateTimeOffset? From, DateTimeOffset? To, Guid? CustomerId,
    int? AggregationSizeMinutes, IReadOnlyList<string> Functions, BucketFunctions BucketFunctions, FillMode Fill, string? TimeZone)
{
    /// <summary>Only these keys (<c>keys=temperature,humidity</c>); null: every key.</summary>
    public IReadOnlyList<string>? Keys { get; init; }

    /// <summary>Only devices carrying every one of these tags (<c>tag=site=berlin&amp;tag=floor=3</c>); null: any device.</summary>
    public IReadOnlyList<Tag>? Tags { get; init; }

    public const string Csv = "csv";
    public const string Parquet = "parquet";

    private static readonly string[] Known = ["deviceIds", "keys", "tag", "from", "to", "customerId", "format", "aggregationSizeMinutes", "functions", "fill", "timeZone"];
    private static readonly string[] AggregatesOnly = ["functions", "fill", "timeZone"];

    /// <summary>The export asked for, or the first bad parameter, named as the caller wrote it (a pure rule).</summary>
    public static ExportQuery Parse(IQueryCollection query)
    {
        if (query.Keys.FirstOrDefault(k => !Known.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            throw ApiErrors.BadInput($"Unknown parameter '{unknown}'; the export takes {string.Join(", ", Known)}.");
        }

        var format = query["format"] is { Count: > 0 } named ? named.ToString() : Csv;
        if (format is not (Csv or Parquet))
        {
            throw ApiErrors.BadInput($"format must be '{Csv}' or '{Parquet}', not '{format}'.");
        }

        int? size = null;
        if (query["aggregationSizeMinutes"] is { Count: > 0 } sizeText)
        {
            size = int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
                ? minutes
                : throw ApiErrors.BadInput($"aggregationSizeMinutes must be a whole number of minutes, not '{sizeText}'.");
        }
        else if (AggregatesOnly.FirstOrDefault(query.ContainsKey) is { } aggregateParameter)
        {
            throw ApiErrors.BadInput($"{aggregateParameter} applies to aggregates: add aggregationSizeMinutes, or leave {aggregateParameter} out to export the raw readings.");
        }

        if (size is not null && format == Parquet)
        {
            throw ApiErrors.BadInput($"format '{Parquet}' is for raw readings; export buckets (aggregationSizeMinutes) as '{Csv}'.");
        }

        var functions = Values(query, "functions") is { Count: > 0 } listed ? listed : ["mean"];
        return new ExportQuery(format,
            Values(query, "deviceIds") is { Count: > 0 } ids ? [.. ids.Select(id => Id(id, "deviceIds"))] : null,
            Time(query, "from"), Time(query, "to"),
            query["customerId"] is { Count: > 0 } customer ? Id(customer.ToString(), "customerId") : null,
            size, functions, Of(functions), FillOf(query), query["timeZone"] is { Count: > 0 } zone ? zone.ToString() : null)
        {
            Keys = Values(query, "keys") is { Count: > 0 } keys ? keys : null,
            Tags = query["tag"] is { Count: > 0 } tags ? [.. tags.Select(TagOf)] : null,
        };
    }

    // name=value, split at the first '=' (a tag name has none).
    private static Tag TagOf(string? text) => text?.IndexOf('=', StringComparison.Ordinal) is > 0 and var at
        ? new Tag(text[..at], text[(at + 1)..])
        : throw ApiErrors.BadInput($"tag must be name=value (tag=site=berlin), not '{text}'.");

    /// <summary>The bucket functions the <c>functions</c> names select; <c>pNN</c> is the NN-th percentile.</summary>
    private static BucketFunctions Of(IReadOnlyList<string> names)
    {
        var fractions = new List<double>();
        var named = new HashSet<string>();
        foreach (var name in names)
        {
            if (name is "mean" or "min" or "max" or "sum" or "count" or "stddev" or "first" or "last")
            {
                Once(name, name);
                continue;
            }

            if (name.Length > 1 && name[0] == 'p' && decimal.TryParse(name.AsSpan(1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) && percent <= 100)
            {
                var fraction = PercentileFraction(name);
                Once(name, "p" + fraction.ToString("R", CultureInfo.InvariantCulture));   // p95 and p95.0 are one column
                fractions.Add(fraction);
                continue;
            }

            throw ApiErrors.BadInput($"functions: '{name}' is not a bucket function; use mean, min, max, sum, count, stddev, first, last or pNN (a percentile, e.g. p95 or p99.9).");
        }

        return BucketFunctions.Of(names.Select(n => n[0] == 'p' && n != "p" ? "percentile" : n), fractions);

        // A column per name: a repeat would only make the file larger (1 700 means streamed 578 MB).
        void Once(string name, string key)
        {
            if (!named.Add(key))
            {
                throw ApiErrors.BadInput($"functions: '{name}' is named twice; name each function once.");
            }
        }
    }

    /// <summary>The fraction a percentile column's name stands for (<c>p99.9</c>: 0.999), divided in decimal so it is the double the caller means.</summary>
    public static double PercentileFraction(string name) => (double)(decimal.Parse(name.AsSpan(1), CultureInfo.InvariantCulture) / 100);

    private static FillMode FillOf(IQueryCollection query) => query["fill"] is not { Count: > 0 } text ? FillMode.None : text.ToString().ToUpperInvariant() switch
    {
        "NONE" => FillMode.None,
        "NULL" => FillMode.Null,
        "PREVIOUS" => FillMode.Previous,
        "LINEAR" => FillMode.Linear,
        _ => throw ApiErrors.BadInput($"fill must be NONE, NULL, PREVIOUS or LINEAR, not '{text}'."),
    };

    private static List<string> Values(IQueryCollection query, string name) =>
        [.. query[name].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    private static Guid Id(string text, string name) =>
        Guid.TryParse(text, out var id) ? id : throw ApiErrors.BadInput($"{name}: '{text}' is not a UUID.");

    private static DateTimeOffset? Time(IQueryCollection query, string name)
    {
        if (query[name] is not { Count: > 0 } text)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw ApiErrors.BadInput($"{name} must be an ISO 8601 date and time, such as 2026-12-01T00:00:00Z, not '{text}'.");
    }
}
