namespace IotAspire.Api.Security;

public static class CallerEndpoints
{
    /// <summary><c>GET /api/whoami</c>: what the API reads from the caller's token (a device token's device too); handy to check a token.</summary>
    public static IEndpointRouteBuilder MapCallerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/whoami", (HttpContext context) =>
        {
            var caller = Caller.From(context.User);
            return caller.IsDevice
                ? Results.Ok(new { username = caller.UserName, role = caller.Role, customerId = caller.CustomerId, deviceId = caller.DeviceId })
                : Results.Ok(new { username = caller.UserName, role = caller.Role, customerId = caller.CustomerId });
        }).RequireAuthorization();

        return app;
    }
}
