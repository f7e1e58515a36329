using Microsoft.EntityFrameworkCore;

namespace IotAspire.Api.Data;

/// <summary>The <c>readings</c> database, owned by the API. Table and column names are snake_case because
/// Grafana panels and analysts query them by hand.</summary>
public sealed class ReadingsDbContext(DbContextOptions<ReadingsDbContext> options) : DbContext(options)
{
    public DbSet<Device> Devices => Set<Device>();
    public DbSet<Reading> Readings => Set<Reading>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Device>(device =>
        {
            device.ToTable("devices");
            device.HasKey(d => d.Id);
            device.Property(d => d.Id).HasColumnName("id").ValueGeneratedNever();
            device.Property(d => d.CustomerId).HasColumnName("customer_id");
            device.Property(d => d.FirstSeenAt).HasColumnName("first_seen_at");
            device.HasIndex(d => d.CustomerId);
            // The span and count of the device's readings under its customer, kept exact by the ingest
            // transaction and by provisioning, so that listing devices costs per device, not per reading.
            device.Property(d => d.ReadingCount).HasColumnName("reading_count").HasDefaultValue(0L);
            device.Property(d => d.FirstReadingAt).HasColumnName("first_reading_at");
            device.Property(d => d.LastReadingAt).HasColumnName("last_reading_at");
        });

        modelBuilder.Entity<Reading>(reading =>
        {
            reading.ToTable("readings");
            // Customer first: every query is scoped to one customer, then narrowed to devices and a
            // time range, so this one key serves both the tenant filter and the range scan. The
            // migration adds INCLUDE (reading) so that aggregates are answered by index-only scans.
            reading.HasKey(r => new { r.CustomerId, r.DeviceId, r.RecordedAt });
            reading.Property(r => r.CustomerId).HasColumnName("customer_id");
            reading.Property(r => r.DeviceId).HasColumnName("device_id");
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
    }
}

/// <summary>A device belongs to the first customer that sent a reading for it.</summary>
public sealed class Device
{
    public Guid Id { get; set; }
    public Guid CustomerId { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public long ReadingCount { get; set; }
    public DateTimeOffset? FirstReadingAt { get; set; }
    public DateTimeOffset? LastReadingAt { get; set; }
}

public sealed class Reading
{
    public Guid CustomerId { get; set; }
    public Guid DeviceId { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public double Value { get; set; }
    public DateTimeOffset IngestedAt { get; set; }
}
