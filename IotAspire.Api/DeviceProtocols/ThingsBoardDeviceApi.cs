using System.Diagnostics;
using IotAspire.Api.Devices;
using IotAspire.Api.Errors;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>
/// ThingsBoard's HTTP device API, for devices that cannot speak MQTT: <c>POST /api/v1/{deviceToken}/telemetry</c> with
/// the payloads of <see cref="TelemetryPayload"/>, answered 200 with an empty body once the values are committed (in the
/// same group commits as MQTT). The token is in the path, as ThingsBoard puts it; it is never logged or traced (the
/// trace's path is replaced by the route), and a bad one counts in the failed-token throttle.
/// </summary>
public static class ThingsBoardDeviceApi
{
    public const string TelemetryRoute = "/api/v1/{deviceToken}/telemetry";

    public static IEndpointRouteBuilder MapThingsBoardDeviceApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(TelemetryRoute, PostTelemetryAsync);
        return app;
    }

    private static async Task<IResult> PostTelemetryAsync(
        HttpContext http, string deviceToken, DeviceTokenValidator tokens, FailedTokenThrottle throttle, TelemetryGroupCommit commits,
        IOptions<GraphQLHttpOptions> limits, TimeProvider clock)
    {
        Activity.Current?.SetTag("url.path", TelemetryRoute);   // the token stays out of traces
        var address = ClientAddress.Of(http);
        if (throttle.RetryAfter(address) is { } wait)
        {
            return HttpErrorResults.Refusal(ApiErrors.Exhausted("Too many failed device tokens from this address; try again later.", wait));
        }

        if (await tokens.ValidateAsync(deviceToken, http.RequestAborted) is not { } token)
        {
            throttle.CountFailure(address, "device token in the path");
            return HttpErrorResults.Error(StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated,
                "The device token in the path (/api/v1/<token>/telemetry) is unknown or revoked; use a token from createDeviceToken.");
        }

        var limit = limits.Value.MaxRequestBodyBytes;
        var tooLarge = $"The request body may be at most {limit} bytes. Send telemetry in smaller messages.";
        if (http.Request.ContentLength > limit)
        {
            return HttpErrorResults.Error(StatusCodes.Status413PayloadTooLarge, ApiErrors.BadUserInput, tooLarge);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        var device = token.AsCaller();
        IReadOnlyList<Ingestion.SentMessage> messages;
        try
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            messages = TelemetryPayload.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), token.DeviceId, clock.GetUtcNow());
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return HttpErrorResults.Error(StatusCodes.Status413PayloadTooLarge, ApiErrors.BadUserInput, tooLarge);
        }
        catch (ApiErrorException e)
        {
            return HttpErrorResults.Refusal(e);
        }

        return await commits.WriteAsync(device, messages, http.RequestAborted) switch
        {
            TelemetryOutcome.Stored => Results.Ok(),
            TelemetryOutcome.Refused(var error) => HttpErrorResults.Refusal(error),
            TelemetryOutcome.NotStoredNow(var reason) => HttpErrorResults.Refusal(new ApiErrorException(ApiErrors.Unavailable, reason) { RetryAfter = TimeSpan.FromSeconds(1) }),
            var other => throw new InvalidOperationException($"Unexpected telemetry outcome {other}."),
        };
    }
}
