using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.Alerts;

/// <summary>
/// Posts recorded changes to customers' webhooks after commit, from the delivery outbox: signed
/// (<see cref="WebhookSignature"/>), at least once (a receiver deduplicates by the <c>IotAspire-Delivery</c> id),
/// retried with exponential backoff up to <see cref="AlertsOptions.WebhookMaxAttempts"/>. It connects only to addresses
/// <see cref="WebhookTarget"/> allows, checked at connect time, and follows no redirect.
/// </summary>
public sealed class AlertWebhookSender(WebhookStore store, IOptions<AlertsOptions> options, TimeProvider clock, ILogger<AlertWebhookSender> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) } };

    private readonly HttpClient http = CreateClient(options.Value);

    /// <summary>The wait after attempt <paramref name="attempt"/> failed (1-based): the first delay, doubled each time; null after the last.</summary>
    public static TimeSpan? RetryDelay(int attempt, AlertsOptions options) =>
        attempt >= options.WebhookMaxAttempts ? null : options.WebhookFirstRetryDelay * Math.Pow(2, attempt - 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        try
        {
            if (await store.ProtectClearSecretsAsync(stoppingToken) is > 0 and var protectedCount)
            {
                logger.LogInformation("Webhook secrets: {Count} stored in the clear by an older version are now encrypted", protectedCount);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // They still work in the clear; the next start tries again.
            logger.LogWarning(e, "Encrypting webhook secrets stored in the clear failed");
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (customerId, id) in await store.DueAsync(20, stoppingToken))
                {
                    await SendAsync(customerId, id, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Sending alert webhooks failed; trying again shortly");
            }

            await Task.Delay(Poll, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task SendAsync(Guid customerId, long id, CancellationToken ct)
    {
        // The lease outlasts the attempt: another replica may take it only if this one died mid-send.
        if (await store.ClaimAsync(customerId, id, options.Value.WebhookTimeout * 3, ct) is not { } claimed)
        {
            return;
        }

        if (claimed.Secret is null)
        {
            await store.FinishAsync(customerId, id, false, null, "The webhook was removed.", null, ct);
            return;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = claimed.Alert.State == AlertChange.Raised ? "alert.raised" : "alert.cleared",
            deliveryId = id,
            alert = claimed.Alert,
        }, Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, claimed.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(claimed.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.Add("IotAspire-Delivery", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (bool Delivered, int? Status, string? Error) outcome;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.WebhookTimeout);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            outcome = response.IsSuccessStatusCode ? (true, status, null) : (false, status, $"The webhook answered {status}.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            outcome = (false, null, e is TaskCanceledException ? $"No answer within {options.Value.WebhookTimeout.TotalSeconds:0} s." : Describe(e));
        }

        var retry = outcome.Delivered ? null : RetryDelay(claimed.Attempt, options.Value);
        await store.FinishAsync(customerId, id, outcome.Delivered, outcome.Status, outcome.Error, retry, ct);
        if (!outcome.Delivered)
        {
            logger.LogInformation("Alert webhook delivery {Delivery} of customer {Customer}, attempt {Attempt}: {Error}", id, customerId, claimed.Attempt, outcome.Error);
        }
    }

    private static string Describe(Exception e) =>
        e.InnerException is WebhookRefusedException refused ? refused.Message : $"Could not reach the webhook: {e.InnerException?.Message ?? e.Message}";

    private static HttpClient CreateClient(AlertsOptions options) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,   // a redirect could lead anywhere the check refused
        UseProxy = false,
        ConnectCallback = async (context, ct) =>
        {
            // The address actually connected to, checked again: the name may resolve elsewhere than when it was set.
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            var allowed = addresses.FirstOrDefault(a => WebhookTarget.Refusal(a, options.AllowPrivateWebhookTargets) is null)
                ?? throw new WebhookRefusedException($"{context.DnsEndPoint.Host} resolves to no address the API may call ({string.Join(", ", addresses.Select(a => a.ToString()))}).");
            var socket = new Socket(allowed.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }

    private sealed class WebhookRefusedException(string message) : Exception(message);
}
