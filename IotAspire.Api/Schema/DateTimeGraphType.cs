using System.Globalization;
using GraphQL.Types;
using GraphQLParser.AST;

namespace IotAspire.Api.Schema;

/// <summary>
/// The <c>DateTime</c> scalar: ISO-8601. Input without an offset is UTC (the original system's devices send
/// "2022-01-21T10:56:18.950901"); output keeps microseconds and an explicit offset: UTC's, except where an
/// answer was asked for in a time zone (<c>deviceAggregates(timeZone:)</c>), whose times carry that zone's offset.
/// </summary>
public sealed class IsoDateTimeGraphType : ScalarGraphType
{
    public IsoDateTimeGraphType()
    {
        Name = "DateTime";
        Description = "An ISO-8601 date and time, e.g. \"2022-01-21T10:56:18.950901+00:00\". Without an offset it is read as UTC.";
    }

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue text => Parse(text.Value.ToString()),
        _ => ThrowLiteralConversionError(value, "a DateTime must be written as a string"),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        string text => Parse(text),
        DateTimeOffset moment => moment,
        _ => ThrowValueConversionError(value),
    };

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        DateTimeOffset moment => Format(moment),
        DateTime moment => Format(new DateTimeOffset(DateTime.SpecifyKind(moment, DateTimeKind.Unspecified), TimeSpan.Zero)),
        _ => ThrowSerializationError(value),
    };

    /// <summary>
    /// yyyy-MM-ddTHH:mm:ss (the clock time at the value's offset), then up to six digits of the second without
    /// trailing zeros, then the offset (+00:00 in UTC). Built from the sortable standard format (a fast path in
    /// .NET) instead of a custom format string: an answer of 100 000 buckets writes 100 000 of these.
    /// </summary>
    private static string Format(DateTimeOffset moment)
    {
        Span<char> text = stackalloc char[MaxFormattedLength];
        return new string(text[..Format(moment, text)]);
    }

    /// <summary>The longest text <see cref="Format(DateTimeOffset, Span{char})"/> writes.</summary>
    public const int MaxFormattedLength = 32;

    /// <summary>Writes <paramref name="moment"/> as this scalar serializes it into <paramref name="text"/>; returns the length.</summary>
    public static int Format(DateTimeOffset moment, Span<char> text)
    {
        var clock = moment.DateTime;
        clock.TryFormat(text, out var length, "s", CultureInfo.InvariantCulture);
        var microseconds = clock.Ticks % TimeSpan.TicksPerSecond / 10;
        if (microseconds > 0)
        {
            var digits = 6;
            for (; microseconds % 10 == 0; microseconds /= 10, digits--)
            {
            }

            text[length++] = '.';
            for (var i = length + digits - 1; i >= length; i--, microseconds /= 10)
            {
                text[i] = (char)('0' + (microseconds % 10));
            }

            length += digits;
        }

        var offset = moment.Offset;
        if (offset == TimeSpan.Zero)
        {
            "+00:00".CopyTo(text[length..]);
            return length + 6;
        }

        text[length++] = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        offset.TryFormat(text[length..], out var written, @"hh\:mm", CultureInfo.InvariantCulture);
        return length + written;
    }

    private static DateTimeOffset Parse(string text) =>
        TryParseIso8601(text, out var moment)
            ? moment
            : throw new FormatException($"'{text}' is not an ISO-8601 date and time (e.g. 2022-01-21T10:56:18Z).");

    /// <summary>
    /// yyyy-MM-dd, then optionally [T or space]HH:mm[:ss[.f to fffffff]], then optionally Z or an offset
    /// (+hh, +hhmm or +hh:mm); T and Z in either case. Read by hand, not by the culture-aware general parser:
    /// a batch of 1 000 readings parses 1 000 of these, and that parser was the largest single cost of
    /// reading a batch's variables in a trace of the API under ingest (docs/performance.md).
    /// </summary>
    public static bool TryParseIso8601(ReadOnlySpan<char> text, out DateTimeOffset moment)
    {
        moment = default;
        var at = 0;
        if (!Number(text, ref at, 4, out var year) || !Expect(text, ref at, '-') || !Number(text, ref at, 2, out var month)
            || !Expect(text, ref at, '-') || !Number(text, ref at, 2, out var day))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0;
        long fractionTicks = 0;
        if (at < text.Length && text[at] is 'T' or 't' or ' ')
        {
            at++;
            if (!Number(text, ref at, 2, out hour) || !Expect(text, ref at, ':') || !Number(text, ref at, 2, out minute))
            {
                return false;
            }

            if (at < text.Length && text[at] == ':')
            {
                at++;
                if (!Number(text, ref at, 2, out second))
                {
                    return false;
                }

                if (at < text.Length && text[at] == '.')
                {
                    at++;
                    var digits = 0;
                    for (; digits < 7 && at < text.Length && char.IsAsciiDigit(text[at]); digits++, at++)
                    {
                        fractionTicks = (fractionTicks * 10) + (text[at] - '0');
                    }

                    if (digits == 0)
                    {
                        return false;
                    }

                    for (; digits < 7; digits++)
                    {
                        fractionTicks *= 10;
                    }
                }
            }
        }

        var offset = TimeSpan.Zero;   // none given: UTC
        if (at < text.Length && text[at] is 'Z' or 'z')
        {
            at++;
        }
        else if (at < text.Length && text[at] is '+' or '-')
        {
            var sign = text[at++] == '-' ? -1 : 1;
            if (!Number(text, ref at, 2, out var offsetHours))
            {
                return false;
            }

            var offsetMinutes = 0;
            if (at < text.Length)
            {
                at += text[at] == ':' ? 1 : 0;
                if (!Number(text, ref at, 2, out offsetMinutes))
                {
                    return false;
                }
            }

            offset = sign * new TimeSpan(offsetHours, offsetMinutes, 0);
        }

        if (at != text.Length || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59 || offset.Duration() > TimeSpan.FromHours(14))
        {
            return false;
        }

        var utcTicks = new DateTime(year, month, day, hour, minute, second).Ticks + fractionTicks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        moment = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return true;
    }

    private static bool Number(ReadOnlySpan<char> text, ref int at, int digits, out int value)
    {
        value = 0;
        if (at + digits > text.Length)
        {
            return false;
        }

        for (var end = at + digits; at < end; at++)
        {
            if (!char.IsAsciiDigit(text[at]))
            {
                return false;
            }

            value = (value * 10) + (text[at] - '0');
        }

        return true;
    }

    private static bool Expect(ReadOnlySpan<char> text, ref int at, char expected) => at < text.Length && text[at++] == expected;
}
