using System.Diagnostics;
using System.Globalization;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Readings;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Alerts;

/// <summary>
/// Evaluates rules against committed readings and records each change once. A pass runs on one replica at a time (a
/// PostgreSQL advisory lock) in one transaction: it takes the devices the materializer noted (<see cref="PendingAlerts"/>),
/// recomputes each watching rule's states over the readings they can change (<see cref="AlertTimeline"/>), and records
/// the changes by key, so a pass cut short and run again, or readings evaluated twice, record nothing twice. NO_DATA
/// rules are checked against the clock every <see cref="AlertsOptions.NoDataInterval"/>.
/// </summary>
public sealed class AlertEvaluator(NpgsqlDataSource dataSource, IOptions<AlertsOptions> options, TimeProvider clock, ILogger<AlertEvaluator> logger)
{
    /// <summary>Held exclusively by the evaluator for a pass ("IoT Aspire alerts"): one pass across replicas.</summary>
    public const long LockKey = 0x1_07A5_A1E7;

    private const int MaxCustomersPerPass = 100;

    /// <summary>Readings one rule's evaluation reads at most (a late reading a week back on a device sending every second: 600 000).</summary>
    public const int MaxReadingsPerRule = 1_000_000;

    private DateTimeOffset nextNoDataCheck = DateTimeOffset.MinValue;

    public sealed record Pass(int Devices, int Rules, int Recorded, TimeSpan Took);

    /// <summary>One pass; null when another replica holds the turn.</summary>
    public async Task<Pass?> RunPassAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var turn = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({LockKey})", connection, transaction))
        {
            if (!(bool)(await turn.ExecuteScalarAsync(ct))!)
            {
                return null;
            }
        }

        var (devices, rules, recorded) = (0, 0, 0);
        foreach (var customer in await ListAsync(connection, transaction, AlertStore.PendingCustomersSql, r => r.GetGuid(0), ct, ("max_customers", MaxCustomersPerPass)))
        {
            var pending = await ListAsync(connection, transaction, AlertStore.TakePendingSql,
                r => (Series: r.GetGuid(0), First: r.GetFieldValue<DateTimeOffset>(1), Last: r.GetFieldValue<DateTimeOffset>(2)), ct, ("customer_id", customer));
            devices += pending.Count;
            var spans = pending.ToDictionary(p => p.Series);
            var watching = await ListAsync(connection, transaction, AlertStore.RulesForSeriesSql,
                r => (Id: r.GetGuid(0), Series: r.GetGuid(1), Name: r.GetString(2), Kind: AlertRuleRules.Parse(r.GetString(3)), Threshold: r.GetDouble(4), Minutes: r.GetInt32(5),
                    Device: r.GetGuid(6)),
                ct, ("customer_id", customer), ("series_ids", spans.Keys.ToArray()));
            rules += watching.Count;
            if (watching.Count == 0)
            {
                continue;
            }

            var readings = await RuleReadingsAsync(connection, transaction, customer,
                [.. watching.Select(rule => (rule.Series, rule.Kind, rule.Minutes, spans[rule.Series].First, spans[rule.Series].Last))], ct);
            var found = new List<AlertStore.Found>();
            for (var i = 0; i < watching.Count; i++)
            {
                var rule = watching[i];
                if (readings[i].Count == MaxReadingsPerRule)
                {
                    logger.LogWarning("Rule {Rule} of customer {Customer}: more than {Max} readings to evaluate at once; changes after the first {Max} were not evaluated", rule.Id, customer, MaxReadingsPerRule, MaxReadingsPerRule);
                }

                found.AddRange(AlertTimeline.Transitions(rule.Kind, rule.Threshold, rule.Minutes, readings[i], spans[rule.Series].First).Select(change =>
                    new AlertStore.Found(rule.Id, rule.Device, change.Change, change.Reading.At, change.Reading.At, change.Reading.Value,
                        Message(rule.Name, rule.Kind, rule.Threshold, rule.Minutes, change.Change, change.Reading.Value))));
            }

            if (found.Count > 0)
            {
                var webhookUrl = await AlertStore.WebhookUrlAsync(connection, transaction, customer, ct);
                recorded += (await AlertStore.RecordAsync(connection, transaction, customer, webhookUrl, found, ct)).Count;
            }
        }

        if (clock.GetUtcNow() >= nextNoDataCheck)
        {
            recorded += await CheckNoDataAsync(connection, transaction, ct);
            nextNoDataCheck = clock.GetUtcNow() + options.Value.NoDataInterval;
        }

        await transaction.CommitAsync(ct);
        return new Pass(devices, rules, recorded, watch.Elapsed);
    }

    /// <summary>
    /// For each rule (series, kind, window, and its series' new span), the readings its states from the span's start on
    /// depend on, in two statements for all of them (<see cref="ReadingRanges.RuleBoundsSql"/> says which readings).
    /// </summary>
    private static async Task<List<AlertTimeline.Point>[]> RuleReadingsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customer,
        (Guid Series, AlertRuleKind Kind, int Minutes, DateTimeOffset First, DateTimeOffset Last)[] rules, CancellationToken ct)
    {
        var windows = rules.Select(r => TimeSpan.FromMinutes(r.Minutes)).ToArray();
        var bounds = await ListAsync(connection, transaction, ReadingRanges.RuleBoundsSql, r => (
                I: (int)r.GetInt64(0) - 1,
                Before: r.IsDBNull(1) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(1),
                After: r.IsDBNull(2) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(2),
                Reach: r.IsDBNull(3) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(3)), ct,
            ("customer_id", customer), ("series_ids", rules.Select(r => r.Series).ToArray()),
            ("first_at", rules.Select(r => r.First.UtcDateTime).ToArray()), ("last_at", rules.Select(r => r.Last.UtcDateTime).ToArray()), ("windows", windows));
        var lower = new DateTime[rules.Length];
        var upper = new DateTime[rules.Length];
        foreach (var (i, before, after, reach) in bounds)
        {
            var (rule, window) = (rules[i], windows[i]);
            // RATE_OF_CHANGE: from p0 - window to @last + window. ABOVE/BELOW: from reach (p0 - window without one) to n1 + window.
            var (from, to) = rule.Kind == AlertRuleKind.RateOfChange
                ? (before is { } p0 ? p0 - window : rule.First, rule.Last + window)
                : (before is { } p ? reach ?? p - window : rule.First, after is { } n1 ? n1 + window : ReadingTime.End);
            (lower[i], upper[i]) = (from.UtcDateTime, to.UtcDateTime);
        }

        var readings = rules.Select(_ => new List<AlertTimeline.Point>()).ToArray();
        await ListAsync(connection, transaction, ReadingRanges.RuleReadingsSql, r =>
            {
                readings[(int)r.GetInt64(0) - 1].Add(new AlertTimeline.Point(r.GetFieldValue<DateTimeOffset>(1), r.GetDouble(2)));
                return 0;
            }, ct,
            ("customer_id", customer), ("series_ids", rules.Select(r => r.Series).ToArray()), ("lower", lower), ("upper", upper), ("max_readings", MaxReadingsPerRule));
        return readings;
    }

    private async Task<int> CheckNoDataAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var recorded = 0;
        var now = clock.GetUtcNow();
        foreach (var customer in await ListAsync(connection, transaction, AlertStore.NoDataCustomersSql, r => r.GetGuid(0), ct))
        {
            var rules = await ListAsync(connection, transaction, ReadingRanges.NoDataRulesSql, r => (
                Id: r.GetGuid(0), Device: r.GetGuid(1), Name: r.GetString(2), Minutes: r.GetInt32(3), CreatedAt: r.GetFieldValue<DateTimeOffset>(4),
                LastAt: r.IsDBNull(5) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(5), LastValue: r.IsDBNull(6) ? (double?)null : r.GetDouble(6),
                State: r.IsDBNull(7) ? ((AlertChange, DateTimeOffset, DateTimeOffset?)?)null
                    : (r.GetString(7) == "RAISED" ? AlertChange.Raised : AlertChange.Cleared, r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9))),
                ct, ("customer_id", customer));
            var found = rules
                .Select(rule => (Rule: rule, Change: NoDataRule.Decide(rule.Minutes, rule.CreatedAt, rule.LastAt, rule.State, now)))
                .Where(d => d.Change is not null)
                .Select(d => new AlertStore.Found(d.Rule.Id, d.Rule.Device, d.Change!.Value.State, d.Change.Value.At, d.Rule.LastAt, d.Rule.LastValue,
                    Message(d.Rule.Name, AlertRuleKind.NoData, null, d.Rule.Minutes, d.Change.Value.State, d.Rule.LastValue)))
                .ToList();
            if (found.Count > 0)
            {
                recorded += (await AlertStore.RecordAsync(connection, transaction, customer, await AlertStore.WebhookUrlAsync(connection, transaction, customer, ct), found, ct)).Count;
            }
        }

        return recorded;
    }

    /// <summary>What the change says to a person (a pure rule).</summary>
    public static string Message(string name, AlertRuleKind kind, double? threshold, int minutes, AlertChange change, double? reading)
    {
        var value = reading?.ToString("R", CultureInfo.InvariantCulture) ?? "none";
        var limit = threshold?.ToString("R", CultureInfo.InvariantCulture);
        var label = name.Length > 0 ? $"\"{name}\": " : "";
        return (kind, change) switch
        {
            (AlertRuleKind.Above, AlertChange.Raised) => $"{label}readings above {limit} for {minutes} min (reading {value}).",
            (AlertRuleKind.Below, AlertChange.Raised) => $"{label}readings below {limit} for {minutes} min (reading {value}).",
            (AlertRuleKind.RateOfChange, AlertChange.Raised) => $"{label}change faster than {limit} per minute over {minutes} min (reading {value}).",
            (AlertRuleKind.NoData, AlertChange.Raised) => $"{label}no reading for {minutes} min (last reading {value}).",
            (AlertRuleKind.NoData, _) => $"{label}readings again (reading {value}).",
            _ => $"{label}back within the rule (reading {value}).",
        };
    }

    private static async Task<List<T>> ListAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(value switch
            {
                DateTimeOffset time => new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = time.UtcDateTime },
                TimeSpan span => new NpgsqlParameter(name, NpgsqlDbType.Interval) { Value = span },
                TimeSpan[] spans => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Interval) { Value = spans },
                DateTime[] times => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = times },
                _ => new NpgsqlParameter(name, value),
            });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
