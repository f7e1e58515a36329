using IotAspire.Api.Errors;

namespace IotAspire.Api.Security;

/// <summary>Whose data a caller may read or write: the one place that decides it.</summary>
public static class CustomerScope
{
    /// <summary>
    /// The customer whose data a read may touch: a customer only its own (naming another is FORBIDDEN);
    /// an administrator the one it names, or every customer (null).
    /// </summary>
    public static Guid? For(Caller caller, Guid? requestedCustomerId)
    {
        RefuseDevice(caller);
        if (caller.IsAdmin)
        {
            return requestedCustomerId;
        }

        var own = Own(caller);
        if (requestedCustomerId is { } requested && requested != own)
        {
            throw ApiErrors.NotAllowed($"You may only read your own customer's data ({own}), not {requested}'s.");
        }

        return own;
    }

    /// <summary>A device token sends its device's readings (<c>ingestReadings</c>, <c>ingestMessages</c>) and does nothing else.</summary>
    public static void RefuseDevice(Caller caller)
    {
        if (caller.IsDevice)
        {
            throw ApiErrors.NotAllowed($"A device token may only send the readings of its device ({caller.DeviceId}) with ingestReadings or ingestMessages; sign in as the customer for anything else.");
        }
    }

    /// <summary>Only administrators get past this; <paramref name="what"/> ends "Only an administrator may ...".</summary>
    public static void RequireAdmin(Caller caller, string what)
    {
        RefuseDevice(caller);
        if (!caller.IsAdmin)
        {
            throw ApiErrors.NotAllowed($"Only an administrator may {what}.");
        }
    }

    /// <summary>A customer's own customer id; an account without one may neither read nor write.</summary>
    public static Guid Own(Caller caller) =>
        caller.CustomerId ?? throw ApiErrors.NotAllowed("Your account has no customer id; ask an administrator to set one.");
}
