using System.Globalization;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Errors;
using IotAspire.Api.HeavyReads;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.RawReadings;

/// <summary>
/// <c>GET /api/export</c>: a customer's raw readings (or, with <c>aggregationSizeMinutes</c>, their buckets) as a CSV
/// (or, raw readings, Parquet) download, streamed from PostgreSQL to the client row by row, so the API's memory stays the same however large the
/// range. Scoped like every read (<see cref="CustomerScope"/>); bad parameters are a 400 naming them, before anything is sent.
/// </summary>
public static class ExportEndpoint
{
    public static IEndpointRouteBuilder MapReadingsExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/export", ExportAsync);
        return app;
    }

    private static async Task ExportAsync(HttpContext http, RawReadingsReader reader, AggregateReadings aggregate, HeavyReadBudget budget, ILoggerFactory logs)
    {
        if (HttpErrorResults.Unauthenticated(http) is { } unauthenticated)
        {
            await unauthenticated.ExecuteAsync(http);
            return;
        }

        var caller = Caller.From(http.User);
        var ct = http.RequestAborted;
        try
        {
            var query = ExportQuery.Parse(http.Request.Query);
            if (query.AggregationSizeMinutes is { } size)
            {
                // Bounded by deviceAggregates' own limits (AggregateRequest.DefaultMaxBuckets): computed whole, then written.
                var aggregates = await aggregate.RunAsync(caller, query.From, query.To, size, query.DeviceIds, query.CustomerId, query.Fill, query.TimeZone, query.BucketFunctions, ct,
                    query.Keys, query.Tags);
                await WriteAggregatesAsync(http, query, aggregates, ct);
                return;
            }

            var request = RawReadingsRequest.Check(caller, query.DeviceIds, query.From, query.To, query.CustomerId, query.Keys, query.Tags);
            // Every raw export is a heavy read: it reads every reading of its range, however many.
            using var turn = await budget.EnterAsync(caller, "raw readings export", ct);
            if (query.Format == ExportQuery.Parquet)
            {
                await WriteReadingsParquetAsync(http, reader, request, ct);
                return;
            }

            await WriteReadingsAsync(http, reader, request, ct);
        }
        catch (Exception e) when (!http.Response.HasStarted && (e is ApiErrorException || ApiErrors.FromDatabaseFailure(e) is not null))
        {
            await HttpErrorResults.Refusal(e as ApiErrorException ?? ApiErrors.FromDatabaseFailure(e)!).ExecuteAsync(http);
        }
        catch (Exception e) when (http.Response.HasStarted && !ct.IsCancellationRequested)
        {
            // Too late for a status: end the connection without the last chunk, so that the client sees a failed
            // download instead of a file that looks complete.
            logs.CreateLogger(typeof(ExportEndpoint)).LogWarning(e, "An export failed after its first rows were sent; the connection was aborted.");
            http.Abort();
        }
    }

    private static async Task WriteReadingsAsync(HttpContext http, RawReadingsReader reader, RawReadingsRequest request, CancellationToken ct)
    {
        var csv = new CsvRows(http.Response.BodyWriter);
        var started = false;
        async ValueTask StartAsync()
        {
            Start(http, $"readings_{request.CustomerId:N}_{Stamp(request.From)}_{Stamp(request.To)}.csv");
            csv.Header(["device_id", "timestamp", "reading", "key"]);   // key last: files of before keys read as they did
            started = true;
            await csv.FlushAsync(ct);
        }

        // The response starts with the first row, so a failure before it still gets an answer with a status.
        await reader.ExportAsync(request, async (device, key, time, value) =>
        {
            if (!started)
            {
                await StartAsync();
            }

            csv.Value(device);
            csv.Value(time);
            csv.Value(value);
            csv.Key(key, last: true);
            await csv.FlushIfFullAsync(ct);
        }, ct);
        if (!started)
        {
            await StartAsync();
        }

        await csv.FlushAsync(ct);
    }

    private static async Task WriteReadingsParquetAsync(HttpContext http, RawReadingsReader reader, RawReadingsRequest request, CancellationToken ct)
    {
        // Parquet.Net writes some of its metadata with synchronous writes; the response allows them for this request.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } bodyControl)
        {
            bodyControl.AllowSynchronousIO = true;
        }

        await using var parquet = new ParquetRows(http.Response.Body);
        var started = false;
        void StartOnce()
        {
            if (!started)
            {
                Start(http, $"readings_{request.CustomerId:N}_{Stamp(request.From)}_{Stamp(request.To)}.parquet", "application/vnd.apache.parquet");
                started = true;
            }
        }

        await reader.ExportAsync(request, async (device, key, time, value) =>
        {
            StartOnce();
            await parquet.AddAsync(device, key, time, value, ct);
        }, ct);
        StartOnce();
        await parquet.CompleteAsync(ct);
    }

    private static async Task WriteAggregatesAsync(HttpContext http, ExportQuery query, IReadOnlyList<DeviceAggregate> aggregates, CancellationToken ct)
    {
        var range = aggregates.Count > 0 ? $"{Stamp(aggregates[0].From)}_{Stamp(aggregates[0].To)}" : "empty";
        Start(http, $"aggregates_{query.AggregationSizeMinutes}min_{range}.csv");
        var csv = new CsvRows(http.Response.BodyWriter);
        csv.Header(["customer_id", "device_id", "from", .. query.Functions, "key"]);   // key last, as in the readings' file
        foreach (var device in aggregates)
        {
            foreach (var bucket in device.AggregatedValues)
            {
                csv.Value(device.CustomerId);
                csv.Value(device.DeviceId);
                csv.Value(bucket.From);
                foreach (var function in query.Functions)
                {
                    switch (function)
                    {
                        case "count": csv.Value(bucket.Count); break;
                        case var name: csv.Value(Function(bucket, name)); break;
                    }
                }

                csv.Key(device.Key, last: true);
                await csv.FlushIfFullAsync(ct);
            }
        }

        await csv.FlushAsync(ct);
    }

    private static double? Function(AggregatedValue bucket, string name) => name switch
    {
        "mean" => bucket.Mean,
        "min" => bucket.Min,
        "max" => bucket.Max,
        "sum" => bucket.Sum,
        "stddev" => bucket.Stddev,
        "first" => bucket.First,
        "last" => bucket.Last,
        _ => bucket.Percentile(ExportQuery.PercentileFraction(name)),
    };

    private static void Start(HttpContext http, string fileName, string contentType = "text/csv; charset=utf-8")
    {
        http.Response.ContentType = contentType;
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        http.Response.Headers.CacheControl = "no-store";   // another customer's proxy must not keep it
    }

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
