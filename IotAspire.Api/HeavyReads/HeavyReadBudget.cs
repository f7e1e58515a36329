using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using IotAspire.Api.Errors;
using IotAspire.Api.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.HeavyReads;

/// <summary>
/// The turns of heavy reads: at most <see cref="HeavyReadsOptions.PerCustomer"/> of one customer and
/// <see cref="HeavyReadsOptions.InAll"/> of everyone run at once, so a customer running many can take its share of
/// the API, of the connection pool and of PostgreSQL's cores, never the rest; the cheap reads of everyone else never
/// wait here. A heavy read waits for its customer's turn first (queued oldest first), then for one in all, so the
/// queue for a turn in all holds one read per customer at most and customers take turns. Past the customer's queue,
/// or after <see cref="HeavyReadsOptions.MaxWait"/>, it is refused with <c>RESOURCE_EXHAUSTED</c> and a Retry-After.
/// </summary>
/// <remarks>Per API replica: two replicas allow twice as many; PostgreSQL's statement timeout bounds each read.</remarks>
public sealed class HeavyReadBudget : IDisposable
{
    private readonly HeavyReadsOptions options;
    private readonly PartitionedRateLimiter<string> perCustomer;
    private readonly ConcurrencyLimiter inAll;
    private readonly ILogger<HeavyReadBudget> logger;
    private readonly IHttpContextAccessor http;
    private readonly Meter meter = new(MeterName);
    private readonly Counter<long> refused;

    public const string MeterName = "IotAspire.HeavyReads";

    public HeavyReadBudget(IOptions<HeavyReadsOptions> options, IHttpContextAccessor http, ILogger<HeavyReadBudget> logger)
    {
        this.http = http;
        refused = meter.CreateCounter<long>("iotaspire.heavy_reads.refused", "{read}",
            "Heavy reads refused with RESOURCE_EXHAUSTED (tag reason: busy, waited). Customers are in the log lines, not in tags.");
        this.options = options.Value;
        this.logger = logger;
        perCustomer = PartitionedRateLimiter.Create<string, string>(customer => RateLimitPartition.GetConcurrencyLimiter(customer, _ => new()
        {
            PermitLimit = this.options.PerCustomer,
            QueueLimit = this.options.QueuePerCustomer,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));
        // Everyone's turns: as many waiting as there can be customers waiting (one each); the wait is what bounds it.
        inAll = new ConcurrencyLimiter(new() { PermitLimit = this.options.InAll, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst });
    }

    private static string Whose(Caller caller) => caller.CustomerId is null ? "the administrators" : "this customer";

    /// <summary>Whose turns a caller's reads take: its customer's, or the administrators' together.</summary>
    public static string KeyOf(Caller caller) => caller.CustomerId is { } customer ? customer.ToString("N") : "administrators";

    public HeavyReadsOptions Options => options;

    /// <summary>Waits for a turn, or refuses. The turn ends when it is disposed or, in an HTTP request, when the
    /// response has been written, whichever is later.</summary>
    public async Task<IDisposable> EnterAsync(Caller caller, string what, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(options.MaxWait);
        var key = KeyOf(caller);
        var own = await AcquireAsync(perCustomer.AcquireAsync(key, 1, wait.Token), ct);
        if (!own.IsAcquired)
        {
            own.Dispose();
            throw Refuse(caller, what, wait.IsCancellationRequested, wait.IsCancellationRequested
                ? $"it waited {options.MaxWait.TotalSeconds:0} s while the other heavy reads of {Whose(caller)} ran ({options.PerCustomer} at a time)"
                : $"the heavy reads of {Whose(caller)} already take all {options.PerCustomer} turn(s), and {options.QueuePerCustomer} more are waiting");
        }

        RateLimitLease all;
        try
        {
            all = await AcquireAsync(inAll.AcquireAsync(1, wait.Token), ct);
        }
        catch
        {
            own.Dispose();
            throw;
        }

        if (!all.IsAcquired)
        {
            own.Dispose();
            all.Dispose();
            throw Refuse(caller, what, waited: true, $"it waited {options.MaxWait.TotalSeconds:0} s while other customers' heavy reads ran ({options.InAll} at a time)");
        }

        var untilResponse = http.HttpContext is { } context && !context.WebSockets.IsWebSocketRequest;
        var turn = new Turn(own, all, holders: untilResponse ? 2 : 1);
        // The answer of a GraphQL read is serialised after its resolver returns, and a large one (100 000 buckets) costs
        // the API as much CPU as the read: the turn lasts until the response is written, so that a customer's next heavy
        // read cannot start while its last is still being serialised. Not on a WebSocket, whose request lasts as long
        // as the connection: there the turn ends with the read.
        if (untilResponse)
        {
            var request = http.HttpContext!;
            request.Response.RegisterForDispose(turn);
            // A client that stops reading must not keep the turn: a write slower than the minimum rate cuts the
            // connection, the request ends and the turn with it.
            StallGuardedResponseBody.Install(request, options, logger);
        }

        return turn;
    }

    // A wait cut by MaxWait (not by the caller leaving) is a refusal: a lease that was not acquired.
    private static async Task<RateLimitLease> AcquireAsync(ValueTask<RateLimitLease> acquire, CancellationToken ct)
    {
        try
        {
            return await acquire;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new NoTurn();
        }
    }

    private ApiErrorException Refuse(Caller caller, string what, bool waited, string why)
    {
        // Information, not a warning: a refusal is the budget working. The counter shows how often it happens.
        refused.Add(1, new KeyValuePair<string, object?>("reason", waited ? "waited" : "busy"));
        logger.LogInformation("Refused a heavy read ({What}) of {Budget}: {Why}", what, KeyOf(caller), why);
        return ApiErrors.Exhausted(
            $"This {what} is a heavy read, and {why}. Retry after {options.RetryAfter.TotalSeconds:0} s, "
            + "or make it lighter: a larger aggregationSizeMinutes, a shorter range, fewer deviceIds or fewer functions.",
            options.RetryAfter);
    }

    public void Dispose()
    {
        perCustomer.Dispose();
        inAll.Dispose();
        meter.Dispose();
    }

    // Released when its last holder lets go: the caller's using and, in an HTTP request, the response.
    private sealed class Turn(RateLimitLease own, RateLimitLease all, int holders) : IDisposable
    {
        public void Dispose()
        {
            if (Interlocked.Decrement(ref holders) == 0)
            {
                all.Dispose();
                own.Dispose();
            }
        }
    }

    private sealed class NoTurn : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
