using System.Net;
using System.Net.Sockets;

namespace IotAspire.Api.Alerts;

/// <summary>
/// Which addresses are public (a pure rule): only those the IANA special-purpose address registries (IPv4 and IPv6,
/// RFC 6890 and its updates) mark globally reachable. Everything else is named by what it is: loopback and private
/// ranges (which tests may allow), and the ranges a webhook never reaches whatever the settings (link-local and cloud
/// metadata, documentation, benchmarking, shared address space, multicast, reserved, broadcast). An IPv6 address that
/// carries an IPv4 address (IPv4-mapped, IPv4-compatible, SIIT, NAT64 <c>64:ff9b::/96</c>, 6to4 <c>2002::/16</c>) is
/// judged by the IPv4 address it carries, since that is where a translating network delivers it.
/// </summary>
public static class SpecialPurposeAddresses
{
    public enum Kind
    {
        Public,
        /// <summary>Loopback and private networks: refused unless the operator allows them (tests do).</summary>
        LoopbackOrPrivate,
        /// <summary>Never a webhook's target.</summary>
        Never,
    }

    public sealed record Verdict(Kind Kind, string? Why)
    {
        public static readonly Verdict Public = new(Kind.Public, null);
    }

    private sealed record Range(IPAddress Network, int PrefixLength, Kind Kind, string Why)
    {
        public bool Contains(IPAddress address) =>
            address.AddressFamily == Network.AddressFamily && new IPNetwork(Network, PrefixLength).Contains(address);
    }

    private static Range R(string cidr, Kind kind, string why)
    {
        var network = IPNetwork.Parse(cidr);
        return new(network.BaseAddress, network.PrefixLength, kind, why);
    }

    private const string LoopbackOrPrivateWhy = "a loopback or private address";

    // Cloud metadata services outside 169.254.0.0/16: AWS's IPv6 one and Alibaba's (inside 100.64.0.0/10).
    private static readonly IPAddress[] Metadata = [IPAddress.Parse("fd00:ec2::254"), IPAddress.Parse("100.100.100.200")];

    /// <summary>Globally reachable exceptions inside the non-global ranges below (the registries' "True" rows).</summary>
    private static readonly Range[] GlobalExceptions =
    [
        R("192.0.0.9/32", Kind.Public, "Port Control Protocol anycast"),
        R("192.0.0.10/32", Kind.Public, "TURN anycast"),
        R("2001:1::1/128", Kind.Public, "Port Control Protocol anycast"),
        R("2001:1::2/128", Kind.Public, "TURN anycast"),
        R("2001:1::3/128", Kind.Public, "DNS-SD service registration anycast"),
        R("2001:3::/32", Kind.Public, "AMT"),
        R("2001:4:112::/48", Kind.Public, "AS112-v6"),
        R("2001:20::/28", Kind.Public, "ORCHIDv2"),
        R("2001:30::/28", Kind.Public, "Drone Remote ID"),
    ];

    /// <summary>The registries' ranges that are not globally reachable, plus multicast and the deprecated forms.</summary>
    private static readonly Range[] NonGlobal =
    [
        R("0.0.0.0/8", Kind.Never, "an unspecified (\"this network\") address"),
        R("10.0.0.0/8", Kind.LoopbackOrPrivate, LoopbackOrPrivateWhy),
        R("100.64.0.0/10", Kind.LoopbackOrPrivate, "a shared (carrier-grade NAT) address"),
        R("127.0.0.0/8", Kind.LoopbackOrPrivate, LoopbackOrPrivateWhy),
        R("169.254.0.0/16", Kind.Never, "a link-local or metadata address"),
        R("172.16.0.0/12", Kind.LoopbackOrPrivate, LoopbackOrPrivateWhy),
        R("192.0.0.0/24", Kind.Never, "an IETF protocol assignment"),
        R("192.0.2.0/24", Kind.Never, "a documentation (TEST-NET-1) address"),
        R("192.88.99.0/24", Kind.Never, "a deprecated 6to4 relay anycast address"),
        R("192.168.0.0/16", Kind.LoopbackOrPrivate, LoopbackOrPrivateWhy),
        R("198.18.0.0/15", Kind.Never, "a benchmarking address"),
        R("198.51.100.0/24", Kind.Never, "a documentation (TEST-NET-2) address"),
        R("203.0.113.0/24", Kind.Never, "a documentation (TEST-NET-3) address"),
        R("224.0.0.0/4", Kind.Never, "a multicast address"),
        R("255.255.255.255/32", Kind.Never, "the broadcast address"),
        R("240.0.0.0/4", Kind.Never, "a reserved address"),

        R("::/128", Kind.Never, "an unspecified address"),
        R("::1/128", Kind.LoopbackOrPrivate, LoopbackOrPrivateWhy),
        R("64:ff9b:1::/48", Kind.Never, "a local-use IPv4/IPv6 translation address"),
        R("100::/64", Kind.Never, "a discard-only address"),
        R("100:0:0:1::/64", Kind.Never, "a dummy IPv6 prefix address"),
        R("2001::/23", Kind.Never, "an IETF protocol assignment (Teredo, benchmarking, ORCHID)"),
        R("2001:db8::/32", Kind.Never, "a documentation address"),
        R("3fff::/20", Kind.Never, "a documentation address"),
        R("5f00::/16", Kind.Never, "a segment routing (SRv6) address"),
        R("fc00::/7", Kind.LoopbackOrPrivate, LoopbackOrPrivateWhy),
        R("fe80::/10", Kind.Never, "a link-local address"),
        R("fec0::/10", Kind.Never, "a (deprecated) site-local address"),
        R("ff00::/8", Kind.Never, "a multicast address"),
    ];

    // Only 2000::/3 is allocated for global unicast: anything else in IPv6 not named above is reserved.
    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    /// <summary>What <paramref name="address"/> is, judged by the IPv4 address it carries where it carries one.</summary>
    public static Verdict Of(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (Metadata.Contains(address))
        {
            return new(Kind.Never, "a cloud metadata address");
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && CarriedIPv4(address) is ({ } carried, { } form))
        {
            var inner = Of(carried);
            return inner.Kind == Kind.Public ? inner : new(inner.Kind, $"{form} carrying {carried}, {inner.Why}");
        }

        if (GlobalExceptions.Any(r => r.Contains(address)))
        {
            return Verdict.Public;
        }

        if (NonGlobal.FirstOrDefault(r => r.Contains(address)) is { } range)
        {
            return new(range.Kind, range.Why);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(address))
        {
            return new(Kind.Never, "a reserved IPv6 address (outside global unicast 2000::/3)");
        }

        return Verdict.Public;
    }

    /// <summary>The IPv4 address an IPv6 address carries, and the name of the form, for the forms that carry one.</summary>
    private static (IPAddress? Carried, string? Form) CarriedIPv4(IPAddress address)
    {
        var b = address.GetAddressBytes();
        static bool Zero(byte[] bytes, int from, int to) => bytes.AsSpan(from, to - from).IndexOfAnyExcept((byte)0) < 0;
        IPAddress Last32() => new(b.AsSpan(12, 4));

        // ::a.b.c.d (IPv4-compatible, deprecated; not :: and ::1, which are their own entries above).
        if (Zero(b, 0, 12) && !(Zero(b, 12, 15) && b[15] <= 1))
        {
            return (Last32(), "an IPv4-compatible IPv6 address");
        }

        // ::ffff:0:a.b.c.d (SIIT, RFC 6145).
        if (Zero(b, 0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
        {
            return (Last32(), "an IPv4-translated IPv6 address");
        }

        // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052).
        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && Zero(b, 4, 12))
        {
            return (Last32(), "a NAT64 address");
        }

        // 2002:aabb:ccdd::/48 (6to4, RFC 3056).
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return (new IPAddress(b.AsSpan(2, 4)), "a 6to4 address");
        }

        return (null, null);
    }
}
