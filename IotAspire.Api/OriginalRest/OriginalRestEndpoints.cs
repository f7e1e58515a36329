using System.Text.Json;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Errors;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.Ingestion;
using IotAspire.Api.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.OriginalRest;

/// <summary>
/// The original Django app's REST API, for devices and scripts that cannot change: <c>POST /api/device/create/</c>
/// and <c>GET /api/devices</c>, with its JSON names, defaults and inclusive end, on top of the same use cases
/// as GraphQL (<see cref="IngestReadings"/>, <see cref="AggregateReadings"/>), so the same rules and scope hold.
/// Without the original's failures: bad input is a 400 naming the parameter, a refusal a 403, never a 500.
/// </summary>
public static class OriginalRestEndpoints
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapOriginalRestApi(this IEndpointRouteBuilder app)
    {
        // Routing matches a path with or without its trailing slash: both spellings reach these.
        app.MapPost("/api/device/create/", CreateAsync);
        app.MapGet("/api/devices", ListAsync);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IngestReadings ingest, IOptions<GraphQLHttpOptions> limits)
    {
        if (HttpErrorResults.Unauthenticated(http) is { } refused)
        {
            return refused;
        }

        var limit = limits.Value.MaxRequestBodyBytes;
        if (http.Request.ContentLength > limit)
        {
            return HttpErrorResults.Error(StatusCodes.Status413PayloadTooLarge, ApiErrors.BadUserInput, $"The request body may be at most {limit} bytes. Send readings in smaller batches.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        IReadOnlyList<SentReading> readings;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            readings = OriginalReadings.Parse(body.RootElement);
        }
        catch (JsonException e)
        {
            return HttpErrorResults.Error(StatusCodes.Status400BadRequest, ApiErrors.BadUserInput, $"The body is not valid JSON: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return HttpErrorResults.Error(StatusCodes.Status413PayloadTooLarge, ApiErrors.BadUserInput, $"The request body may be at most {limit} bytes. Send readings in smaller batches.");
        }
        catch (ApiErrorException e)
        {
            return HttpErrorResults.Refusal(e);
        }

        var caller = Caller.From(http.User);
        try
        {
            await ingest.RunAsync(caller, readings, http.RequestAborted);
        }
        catch (Exception e) when (e is ApiErrorException || ApiErrors.FromDatabaseFailure(e) is not null)
        {
            return HttpErrorResults.Refusal(e as ApiErrorException ?? ApiErrors.FromDatabaseFailure(e)!);
        }

        // As the original answered: the readings as stored, with their customer.
        return Results.Json(readings.Select(r => new Dictionary<string, object?>
        {
            ["timestamp"] = OriginalReadings.Text(r.Timestamp),
            ["reading"] = r.Reading,
            ["device_id"] = r.DeviceId,
            ["customer_id"] = r.CustomerId ?? caller.CustomerId,
        }), Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext http, AggregateReadings aggregate, TimeProvider clock)
    {
        if (HttpErrorResults.Unauthenticated(http) is { } refused)
        {
            return refused;
        }

        OriginalQuery query;
        try
        {
            query = OriginalQuery.Parse(http.Request.Query, clock.GetUtcNow());
        }
        catch (ApiErrorException e)
        {
            return HttpErrorResults.Refusal(e);
        }

        IReadOnlyList<DeviceAggregate> aggregates;
        try
        {
            aggregates = await aggregate.RunAsync(Caller.From(http.User), query.Start, query.ExclusiveEnd, query.AggregationSize,
                query.DeviceId is { } device ? [device] : null, query.CustomerId, FillMode.None, timeZone: null, BucketFunctions.MeanOnly, http.RequestAborted);
        }
        catch (Exception e) when (e is ApiErrorException || ApiErrors.FromDatabaseFailure(e) is not null)
        {
            return HttpErrorResults.Refusal(e as ApiErrorException ?? ApiErrors.FromDatabaseFailure(e)!);
        }

        return Results.Json(aggregates.Select(a => new Dictionary<string, object?>
        {
            ["device_id"] = a.DeviceId,
            ["customer_id"] = a.CustomerId,
            ["from"] = OriginalReadings.Text(query.Start),
            ["to"] = OriginalReadings.Text(query.End),
            ["aggregation_size_minutes"] = a.AggregationSizeMinutes,
            ["aggregated_values"] = a.AggregatedValues.Select(v => new Dictionary<string, object?>
            {
                ["from"] = OriginalReadings.Text(v.From),
                // Rounded as the original rounded (Python's round: to even).
                ["value"] = v.Value is { } mean ? Math.Round(mean, 2, MidpointRounding.ToEven) : null,
            }),
        }), Json);
    }
}
