using Microsoft.EntityFrameworkCore;

namespace IotAspire.Api.ReadingsStore;

/// <summary>The <c>readings</c> database, owned by the API. Table and column names are snake_case because
/// Grafana panels and analysts query them by hand.</summary>
public sealed class ReadingsDbContext(DbContextOptions<ReadingsDbContext> options) : DbContext(options)
{
    public DbSet<Device> Devices => Set<Device>();
    public DbSet<Series> Series => Set<Series>();
    public DbSet<DeviceClaim> DeviceClaims => Set<DeviceClaim>();
    public DbSet<Reading> Readings => Set<Reading>();
    public DbSet<FiveMinuteRollup> FiveMinuteRollups => Set<FiveMinuteRollup>();
    public DbSet<HourlyRollup> HourlyRollups => Set<HourlyRollup>();
    public DbSet<DailyRollup> DailyRollups => Set<DailyRollup>();
    public DbSet<IngestedPerMinute> IngestedPerMinute => Set<IngestedPerMinute>();
    public DbSet<PendingRollup> PendingRollups => Set<PendingRollup>();
    public DbSet<DeviceToken> DeviceTokens => Set<DeviceToken>();
    public DbSet<LiveSubscriber> LiveSubscribers => Set<LiveSubscriber>();
    public DbSet<CustomerRetention> CustomerRetention => Set<CustomerRetention>();
    public DbSet<RetentionRun> RetentionRuns => Set<RetentionRun>();
    public DbSet<AlertRule> AlertRules => Set<AlertRule>();
    public DbSet<AlertEvent> AlertEvents => Set<AlertEvent>();
    public DbSet<PendingAlert> PendingAlerts => Set<PendingAlert>();
    public DbSet<AlertWebhook> AlertWebhooks => Set<AlertWebhook>();
    public DbSet<AlertDelivery> AlertDeliveries => Set<AlertDelivery>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Device>(device =>
        {
            device.ToTable("devices");
            // Customer first, like every key of tenant data, so that the table can be distributed by customer
            // (docs/scaling.md). That a device has one owner is kept by device_claims.
            device.HasKey(d => new { d.CustomerId, d.Id });
            device.Property(d => d.Id).HasColumnName("id").ValueGeneratedNever();
            device.Property(d => d.CustomerId).HasColumnName("customer_id");
            device.Property(d => d.FirstSeenAt).HasColumnName("first_seen_at");
            // The customer's own name for the device (unique per customer) and its tags (a JSON object of text values,
            // DeviceAttributes.cs bounds them): what devices are found and grouped by.
            device.Property(d => d.Name).HasColumnName("name");
            device.Property(d => d.Tags).HasColumnName("tags").HasColumnType("jsonb").HasDefaultValueSql("'{}'::jsonb");
            device.HasIndex(d => new { d.CustomerId, d.Name }).IsUnique().HasFilter("name IS NOT NULL");
        });

        // A series: one named key of one device under one customer (SeriesIds.cs says how its id is made). The readings and
        // rollups are keyed by series; this is the catalog that names them, with the span and count of the series'
        // readings as far as the rollups hold them (kept by the materializer; DevicesReader adds what is pending), so
        // that listing devices and their keys costs per series, not per reading. Written by ingest for a series it has
        // not seen; never deleted (readings stay with the customer that sent them, as the series do).
        modelBuilder.Entity<Series>(series =>
        {
            series.ToTable(ReadingsStore.Series.Table);
            series.HasKey(s => new { s.CustomerId, s.Id });
            series.Property(s => s.CustomerId).HasColumnName("customer_id");
            series.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
            series.Property(s => s.DeviceId).HasColumnName("device_id");
            series.Property(s => s.Key).HasColumnName("key");
            series.Property(s => s.FirstSeenAt).HasColumnName("first_seen_at").HasDefaultValueSql("now()");
            series.Property(s => s.ReadingCount).HasColumnName("reading_count").HasDefaultValue(0L);
            series.Property(s => s.FirstReadingAt).HasColumnName("first_reading_at");
            series.Property(s => s.LastReadingAt).HasColumnName("last_reading_at");
            // The value at last_reading_at as the materializer last folded it (null: not known, read from the readings).
            series.Property(s => s.LastReading).HasColumnName("last_reading");
            series.HasIndex(s => new { s.CustomerId, s.DeviceId, s.Key }).IsUnique();
        });

        // Who owns a device, keyed by the device alone: the one table that must answer "whose is this device?" for
        // any customer, on every ingest batch, and refuse a second owner. Small and rarely written (a row per
        // device, written when a device is claimed, moved or removed), so on Citus it is a reference table,
        // copied to every node and read locally; tenant data keyed by customer goes to the workers.
        modelBuilder.Entity<DeviceClaim>(claim =>
        {
            claim.ToTable("device_claims");
            claim.HasKey(c => c.DeviceId);
            claim.Property(c => c.DeviceId).HasColumnName("device_id").ValueGeneratedNever();
            claim.Property(c => c.CustomerId).HasColumnName("customer_id");
            claim.Property(c => c.ClaimedAt).HasColumnName("claimed_at");
        });

        modelBuilder.Entity<Reading>(reading =>
        {
            reading.ToTable("readings");
            // Customer first: every query is scoped to one customer, then narrowed to devices and a
            // time range, so this one key serves both the tenant filter and the range scan. The
            // migration adds INCLUDE (reading) so that aggregates are answered by index-only scans.
            reading.HasKey(r => new { r.CustomerId, r.SeriesId, r.RecordedAt });
            reading.Property(r => r.CustomerId).HasColumnName("customer_id");
            reading.Property(r => r.SeriesId).HasColumnName("series_id");
            reading.Property(r => r.RecordedAt).HasColumnName("recorded_at");
            reading.Property(r => r.Value).HasColumnName("reading");
            // When the API stored (or last changed) the reading: what "readings ingested per minute" counts.
            reading.Property(r => r.IngestedAt).HasColumnName("ingested_at").HasDefaultValueSql("now()");
            // Rows arrive roughly in ingested_at order, so a BRIN index (a few pages for millions of rows,
            // next to nothing per insert) lets "ingested in the last day" skip the older part of the table.
            reading.HasIndex(r => r.IngestedAt).HasMethod("brin");
            // No foreign key to devices: it would need a second index on this, the largest table, and
            // ingestion already registers each device (and checks its owner) in the same transaction.
        });

        // Exact per-device rollups (ReadingRollups.cs explains how they stay exact).
        modelBuilder.Entity<FiveMinuteRollup>(rollup => MapRollup(rollup, ReadingRollups.FiveMinuteTable));
        modelBuilder.Entity<HourlyRollup>(rollup => MapRollup(rollup, ReadingRollups.HourlyTable));
        modelBuilder.Entity<DailyRollup>(rollup => MapRollup(rollup, ReadingRollups.DailyTable));

        // What "readings ingested per minute" counts, one row per device and minute of ingestion, so that the
        // Grafana panel reads a few rows per device instead of every reading stored in the range.
        modelBuilder.Entity<IngestedPerMinute>(minute =>
        {
            minute.ToTable("ingested_per_minute");
            minute.HasKey(m => new { m.CustomerId, m.SeriesId, m.Minute });
            minute.Property(m => m.CustomerId).HasColumnName("customer_id");
            minute.Property(m => m.SeriesId).HasColumnName("series_id");
            minute.Property(m => m.Minute).HasColumnName("minute");
            minute.Property(m => m.ReadingCount).HasColumnName("reading_count");
        });

        // What ingest committed and the rollups do not hold yet: one row per batch and customer, written in the
        // ingest transaction instead of the rollup rows themselves (ReadingsStore/RollupMaterializer.cs).
        modelBuilder.Entity<PendingRollup>(pending =>
        {
            pending.ToTable("rollup_pending");
            pending.HasKey(p => new { p.CustomerId, p.Id });
            pending.Property(p => p.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            pending.Property(p => p.CustomerId).HasColumnName("customer_id");
            pending.Property(p => p.SeriesIds).HasColumnName("series_ids");
            pending.Property(p => p.FirstAt).HasColumnName("first_at");
            pending.Property(p => p.LastAt).HasColumnName("last_at");
            pending.Property(p => p.ReadingCounts).HasColumnName("reading_counts");
            pending.Property(p => p.IngestedAt).HasColumnName("ingested_at").HasDefaultValueSql("now()");
            // Reads look up their customer's pending spans on every answer: the key leads with the customer.
        });

        // Device tokens: only a SHA-256 of each secret (Security/DeviceTokenFormat.cs says why that is enough).
        // Found by id on every batch a device sends (cached a few seconds), listed per customer and device.
        modelBuilder.Entity<DeviceToken>(token =>
        {
            token.ToTable("device_tokens");
            token.HasKey(t => t.Id);
            token.HasIndex(t => new { t.CustomerId, t.DeviceId });
            token.Property(t => t.Id).HasColumnName("id");
            token.Property(t => t.CustomerId).HasColumnName("customer_id");
            token.Property(t => t.DeviceId).HasColumnName("device_id");
            token.Property(t => t.SecretHash).HasColumnName("secret_hash");
            token.Property(t => t.CreatedAt).HasColumnName("created_at");
            token.Property(t => t.CreatedBy).HasColumnName("created_by");
            token.Property(t => t.RevokedAt).HasColumnName("revoked_at");
        });

        modelBuilder.Entity<LiveSubscriber>(subscriber =>
        {
            // Which customers some API replica has live subscribers for: ingest notifies only for those
            // (LiveUpdates/LiveSubscribers.cs). Customer Guid.Empty stands for an administrator's "every customer".
            subscriber.ToTable("live_subscribers");
            subscriber.HasKey(s => new { s.CustomerId, s.ReplicaId });
            subscriber.Property(s => s.CustomerId).HasColumnName("customer_id");
            subscriber.Property(s => s.ReplicaId).HasColumnName("replica_id");
            subscriber.Property(s => s.ExpiresAt).HasColumnName("expires_at");
        });

        modelBuilder.Entity<CustomerRetention>(retention =>
        {
            // How long a customer's readings and rollups are kept (null: forever), and how far the retention
            // job has deleted them: ingest refuses readings older than that, and answers say where data is missing.
            retention.ToTable("customer_retention");
            retention.HasKey(r => r.CustomerId);
            retention.Property(r => r.CustomerId).HasColumnName("customer_id").ValueGeneratedNever();
            retention.Property(r => r.KeepReadingsDays).HasColumnName("keep_readings_days");
            retention.Property(r => r.KeepRollupsDays).HasColumnName("keep_rollups_days");
            retention.Property(r => r.ReadingsDeletedBefore).HasColumnName("readings_deleted_before");
            retention.Property(r => r.RollupsDeletedBefore).HasColumnName("rollups_deleted_before");
            retention.Property(r => r.UpdatedAt).HasColumnName("updated_at");
            retention.Property(r => r.UpdatedBy).HasColumnName("updated_by");
            retention.ToTable(t => t.HasCheckConstraint("ck_customer_retention_periods",
                "keep_readings_days >= 1 AND (keep_rollups_days IS NULL OR keep_rollups_days >= keep_readings_days)"
                + " OR keep_readings_days IS NULL AND keep_rollups_days IS NULL"));
        });

        modelBuilder.Entity<RetentionRun>(run =>
        {
            // What each run of the retention job removed, per customer.
            run.ToTable("retention_runs");
            run.HasKey(r => new { r.CustomerId, r.Id });
            run.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            run.Property(r => r.CustomerId).HasColumnName("customer_id");
            run.Property(r => r.StartedAt).HasColumnName("started_at");
            run.Property(r => r.FinishedAt).HasColumnName("finished_at");
            run.Property(r => r.ReadingsCutoff).HasColumnName("readings_cutoff");
            run.Property(r => r.RollupsCutoff).HasColumnName("rollups_cutoff");
            run.Property(r => r.ReadingsDeleted).HasColumnName("readings_deleted");
            run.Property(r => r.RollupRowsDeleted).HasColumnName("rollup_rows_deleted");
            run.Property(r => r.Outcome).HasColumnName("outcome");
            run.HasIndex(r => new { r.CustomerId, r.StartedAt });
        });

        // Alerts (Alerts/): every table keyed by customer first and distributed with the readings on Citus.
        modelBuilder.Entity<AlertRule>(rule =>
        {
            rule.ToTable(global::IotAspire.Api.ReadingsStore.PendingAlerts.RulesTable, t => t.HasCheckConstraint("ck_alert_rules_kind", "kind IN ('ABOVE', 'BELOW', 'NO_DATA', 'RATE_OF_CHANGE')"));
            rule.HasKey(r => new { r.CustomerId, r.Id });
            rule.Property(r => r.CustomerId).HasColumnName("customer_id");
            rule.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            rule.Property(r => r.DeviceId).HasColumnName("device_id");
            // The key the rule watches, and its series (SeriesIds.Of(device_id, key)), which the evaluator finds rules by.
            rule.Property(r => r.Key).HasColumnName("key").HasDefaultValue("reading");
            rule.Property(r => r.SeriesId).HasColumnName("series_id");
            rule.Property(r => r.Name).HasColumnName("name");
            rule.Property(r => r.Kind).HasColumnName("kind");
            rule.Property(r => r.Threshold).HasColumnName("threshold");
            rule.Property(r => r.Minutes).HasColumnName("minutes");
            rule.Property(r => r.Muted).HasColumnName("muted");
            rule.Property(r => r.CreatedAt).HasColumnName("created_at");
            rule.Property(r => r.CreatedBy).HasColumnName("created_by");
            // The evaluator asks, for each series folded, which rules watch it.
            rule.HasIndex(r => new { r.CustomerId, r.SeriesId });
        });

        modelBuilder.Entity<AlertEvent>(alert =>
        {
            // Each state change of a rule, once: the unique key makes evaluating the same readings again a no-op.
            alert.ToTable(global::IotAspire.Api.ReadingsStore.PendingAlerts.EventsTable);
            alert.HasKey(a => new { a.CustomerId, a.Id });
            alert.Property(a => a.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            alert.Property(a => a.CustomerId).HasColumnName("customer_id");
            alert.Property(a => a.RuleId).HasColumnName("rule_id");
            alert.Property(a => a.DeviceId).HasColumnName("device_id");
            alert.Property(a => a.State).HasColumnName("state");
            alert.Property(a => a.At).HasColumnName("at");
            alert.Property(a => a.ReadingAt).HasColumnName("reading_at");
            alert.Property(a => a.Reading).HasColumnName("reading");
            alert.Property(a => a.Message).HasColumnName("message");
            alert.Property(a => a.RecordedAt).HasColumnName("recorded_at").HasDefaultValueSql("now()");
            alert.HasIndex(a => new { a.CustomerId, a.RuleId, a.State, a.At }).IsUnique();
            alert.HasIndex(a => new { a.CustomerId, a.At });
        });

        modelBuilder.Entity<PendingAlert>(pending =>
        {
            // Devices whose committed readings no rule has seen yet: written by the materializer as it folds them.
            pending.ToTable(global::IotAspire.Api.ReadingsStore.PendingAlerts.Table);
            pending.HasKey(p => new { p.CustomerId, p.Id });
            pending.Property(p => p.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            pending.Property(p => p.CustomerId).HasColumnName("customer_id");
            pending.Property(p => p.SeriesId).HasColumnName("series_id");
            pending.Property(p => p.FirstAt).HasColumnName("first_at");
            pending.Property(p => p.LastAt).HasColumnName("last_at");
        });

        modelBuilder.Entity<AlertWebhook>(webhook =>
        {
            webhook.ToTable("alert_webhooks");
            webhook.HasKey(w => w.CustomerId);
            webhook.Property(w => w.CustomerId).HasColumnName("customer_id").ValueGeneratedNever();
            webhook.Property(w => w.Url).HasColumnName("url");
            webhook.Property(w => w.Secret).HasColumnName("secret");
            webhook.Property(w => w.UpdatedAt).HasColumnName("updated_at");
            webhook.Property(w => w.UpdatedBy).HasColumnName("updated_by");
        });

        modelBuilder.Entity<AlertDelivery>(delivery =>
        {
            // An outbox: written with the alert it carries, in one transaction; sent (and retried) after commit.
            delivery.ToTable("alert_deliveries");
            delivery.HasKey(d => new { d.CustomerId, d.Id });
            delivery.Property(d => d.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            delivery.Property(d => d.CustomerId).HasColumnName("customer_id");
            delivery.Property(d => d.AlertId).HasColumnName("alert_id");
            delivery.Property(d => d.Url).HasColumnName("url");
            delivery.Property(d => d.Status).HasColumnName("status");
            delivery.Property(d => d.Attempts).HasColumnName("attempts");
            delivery.Property(d => d.NextAttemptAt).HasColumnName("next_attempt_at");
            delivery.Property(d => d.LastStatusCode).HasColumnName("last_status_code");
            delivery.Property(d => d.LastError).HasColumnName("last_error");
            delivery.Property(d => d.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
            delivery.Property(d => d.DeliveredAt).HasColumnName("delivered_at");
            delivery.HasIndex(d => new { d.CustomerId, d.Status, d.NextAttemptAt });
        });
    }

    private static void MapRollup<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> rollup, string table)
        where T : ReadingRollup
    {
        rollup.ToTable(table);
        // The same key order as readings: customer, device, time.
        rollup.HasKey(r => new { r.CustomerId, r.SeriesId, r.BucketStart });
        rollup.Property(r => r.CustomerId).HasColumnName("customer_id");
        rollup.Property(r => r.SeriesId).HasColumnName("series_id");
        rollup.Property(r => r.BucketStart).HasColumnName("bucket_start");
        rollup.Property(r => r.ReadingCount).HasColumnName("reading_count");
        rollup.Property(r => r.ReadingSum).HasColumnName("reading_sum");
        rollup.Property(r => r.ReadingMin).HasColumnName("reading_min");
        rollup.Property(r => r.ReadingMax).HasColumnName("reading_max");
    }
}

/// <summary>A device belongs to the first customer that sent a reading for it.</summary>
public sealed class Device
{
    public Guid Id { get; set; }
    public Guid CustomerId { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public string? Name { get; set; }
    public string Tags { get; set; } = "{}";
}

/// <summary>One key of one device under one customer: the unit the readings and rollups are kept by.</summary>
public sealed class Series
{
    public const string Table = "series";

    public Guid CustomerId { get; set; }
    public Guid Id { get; set; }
    public Guid DeviceId { get; set; }
    public string Key { get; set; } = "";
    public DateTimeOffset FirstSeenAt { get; set; }
    public long ReadingCount { get; set; }
    public DateTimeOffset? FirstReadingAt { get; set; }
    public DateTimeOffset? LastReadingAt { get; set; }
    public double? LastReading { get; set; }
}

/// <summary>The one customer a device belongs to (<c>device_claims</c>).</summary>
public sealed class DeviceClaim
{
    public Guid DeviceId { get; set; }
    public Guid CustomerId { get; set; }
    public DateTimeOffset ClaimedAt { get; set; }
}

public sealed class Reading
{
    public Guid CustomerId { get; set; }
    public Guid SeriesId { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public double Value { get; set; }
    public DateTimeOffset IngestedAt { get; set; }
}

/// <summary>Count, sum, minimum and maximum of one series' readings in one bucket of a rollup's grain.</summary>
public abstract class ReadingRollup
{
    public Guid CustomerId { get; set; }
    public Guid SeriesId { get; set; }
    public DateTimeOffset BucketStart { get; set; }
    public long ReadingCount { get; set; }
    public double ReadingSum { get; set; }
    public double ReadingMin { get; set; }
    public double ReadingMax { get; set; }
}

public sealed class FiveMinuteRollup : ReadingRollup;

public sealed class HourlyRollup : ReadingRollup;

public sealed class DailyRollup : ReadingRollup;

public sealed class IngestedPerMinute
{
    public Guid CustomerId { get; set; }
    public Guid SeriesId { get; set; }
    public DateTimeOffset Minute { get; set; }
    public long ReadingCount { get; set; }
}

/// <summary>
/// One ingest transaction's readings of one customer that are not in the rollups yet: per device (the arrays
/// run in parallel), the span of their times and how many readings it stored or changed; and when.
/// </summary>
public sealed class PendingRollup
{
    public long Id { get; set; }
    public Guid CustomerId { get; set; }
    public Guid[] SeriesIds { get; set; } = [];
    public DateTime[] FirstAt { get; set; } = [];
    public DateTime[] LastAt { get; set; } = [];
    public int[] ReadingCounts { get; set; } = [];
    public DateTimeOffset IngestedAt { get; set; }
}

public sealed class DeviceToken
{
    public Guid Id { get; set; }
    public Guid CustomerId { get; set; }
    public Guid DeviceId { get; set; }
    public byte[] SecretHash { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>An API replica has live subscribers for a customer until <see cref="ExpiresAt"/> (it renews the row while they stay).</summary>
public sealed class LiveSubscriber
{
    public Guid CustomerId { get; set; }
    public Guid ReplicaId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>A customer's retention periods (null: keep forever) and how far its data has been deleted.</summary>
public sealed class CustomerRetention
{
    public Guid CustomerId { get; set; }
    public int? KeepReadingsDays { get; set; }
    public int? KeepRollupsDays { get; set; }
    public DateTimeOffset? ReadingsDeletedBefore { get; set; }
    public DateTimeOffset? RollupsDeletedBefore { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>One customer's share of one run of the retention job.</summary>
public sealed class RetentionRun
{
    public long Id { get; set; }
    public Guid CustomerId { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? ReadingsCutoff { get; set; }
    public DateTimeOffset? RollupsCutoff { get; set; }
    public long ReadingsDeleted { get; set; }
    public long RollupRowsDeleted { get; set; }
    public string Outcome { get; set; } = "";
}

/// <summary>A customer's alert rule on one device (Alerts/AlertRuleKind.cs says what each kind means).</summary>
public sealed class AlertRule
{
    public Guid CustomerId { get; set; }
    public Guid Id { get; set; }
    public Guid DeviceId { get; set; }
    public string Key { get; set; } = "reading";
    public Guid SeriesId { get; set; }
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "";
    public double? Threshold { get; set; }
    public int Minutes { get; set; }
    public bool Muted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

/// <summary>A rule raised or cleared, at a reading's time, with the reading that did it (none for no data).</summary>
public sealed class AlertEvent
{
    public long Id { get; set; }
    public Guid CustomerId { get; set; }
    public Guid RuleId { get; set; }
    public Guid DeviceId { get; set; }
    public string State { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public DateTimeOffset? ReadingAt { get; set; }
    public double? Reading { get; set; }
    public string Message { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A series' readings from <see cref="FirstAt"/> to <see cref="LastAt"/> committed and not evaluated yet.</summary>
public sealed class PendingAlert
{
    public long Id { get; set; }
    public Guid CustomerId { get; set; }
    public Guid SeriesId { get; set; }
    public DateTimeOffset FirstAt { get; set; }
    public DateTimeOffset LastAt { get; set; }
}

/// <summary>Where a customer's alerts are posted, and the secret their signature is made with.</summary>
public sealed class AlertWebhook
{
    public Guid CustomerId { get; set; }
    public string Url { get; set; } = "";
    public string Secret { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>One alert to post to a customer's webhook: pending until delivered, or failed after the last attempt.</summary>
public sealed class AlertDelivery
{
    public long Id { get; set; }
    public Guid CustomerId { get; set; }
    public long AlertId { get; set; }
    public string Url { get; set; } = "";
    public string Status { get; set; } = "";
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
}
