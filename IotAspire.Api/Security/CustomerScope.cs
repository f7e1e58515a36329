using IotAspire.Api.Schema;

namespace IotAspire.Api.Security;

public static class CustomerScope
{
    /// <summary>
    /// The customer whose data a read may touch: a customer only its own (naming another is FORBIDDEN);
    /// an administrator the one it names, or every customer (null).
    /// </summary>
    public static Guid? For(Caller caller, Guid? requestedCustomerId)
    {
        if (caller.IsAdmin)
        {
            return requestedCustomerId;
        }

        if (caller.CustomerId is not { } own)
        {
            throw ApiErrors.NotAllowed("Your account has no customer id; ask an administrator to set one.");
        }

        if (requestedCustomerId is { } requested && requested != own)
        {
            throw ApiErrors.NotAllowed($"You may only read your own customer's data ({own}), not {requested}'s.");
        }

        return own;
    }
}
