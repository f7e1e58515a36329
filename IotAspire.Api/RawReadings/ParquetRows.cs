using Parquet;
using Parquet.Schema;

namespace IotAspire.Api.RawReadings;

/// <summary>
/// Raw readings as a Parquet file written straight into the response: columns <c>device_id</c> (text), <c>timestamp</c>
/// (UTC), <c>reading</c> (double) and <c>key</c> (text, last so that readers of the files before keys read on), in row groups of <see cref="RowGroupSize"/>, each sent when full. Parquet writes its
/// index (the footer) last, so a file cut short is unreadable rather than silently partial. Memory: one row group.
/// </summary>
public sealed class ParquetRows(Stream body) : IAsyncDisposable
{
    public const int RowGroupSize = 50_000;

    private static readonly ParquetSchema Schema = new(
        new DataField<string>("device_id"), new DataField<DateTime>("timestamp"), new DataField<double>("reading"), new DataField<string>("key"));

    private readonly string[] devices = new string[RowGroupSize];
    private readonly DateTime[] times = new DateTime[RowGroupSize];
    private readonly double[] values = new double[RowGroupSize];
    private readonly string[] keys = new string[RowGroupSize];
    private ParquetWriter? writer;
    private int count;
    private Guid lastDevice;
    private string lastDeviceText = "";

    public async ValueTask AddAsync(Guid device, string key, DateTimeOffset time, double value, CancellationToken ct)
    {
        if (device != lastDevice || lastDeviceText.Length == 0)
        {
            (lastDevice, lastDeviceText) = (device, device.ToString());   // readings come device after device: one string each
        }

        (devices[count], times[count], values[count], keys[count]) = (lastDeviceText, time.UtcDateTime, value, key);
        if (++count == RowGroupSize)
        {
            await WriteGroupAsync(ct);
        }
    }

    /// <summary>Writes what is left and the footer; the file is complete after it (an empty file has no row group).</summary>
    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        if (count > 0 || writer is null)
        {
            await WriteGroupAsync(ct);
        }

        await writer!.DisposeAsync();
        writer = null;
    }

    private async ValueTask WriteGroupAsync(CancellationToken ct)
    {
        writer ??= await ParquetWriter.CreateAsync(Schema, body, cancellationToken: ct);
        if (count == 0)
        {
            return;
        }

        using var group = writer.CreateRowGroup();
        await group.WriteAsync(Schema.DataFields[0], new ArraySegment<string>(devices, 0, count));
        await group.WriteAsync(Schema.DataFields[1], new ReadOnlyMemory<DateTime>(times, 0, count), cancellationToken: ct);
        await group.WriteAsync(Schema.DataFields[2], new ReadOnlyMemory<double>(values, 0, count), cancellationToken: ct);
        await group.WriteAsync(Schema.DataFields[3], new ArraySegment<string>(keys, 0, count));
        count = 0;
        await body.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (writer is not null)
        {
            await writer.DisposeAsync();
        }
    }
}
