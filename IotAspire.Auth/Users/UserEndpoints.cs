using IotAspire.Auth.Http;
using IotAspire.Auth.Security;

namespace IotAspire.Auth.Users;

/// <summary>User management over REST, for administrators (a customer's token gets 403).</summary>
public static class UserEndpoints
{
    public static IEndpointRouteBuilder MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").RequireAuthorization(AuthPolicies.AdminApi);

        users.MapGet("/", async (UserDirectory directory, CancellationToken ct) =>
            Results.Ok((await directory.ListAsync(ct)).Select(UserView.From)));

        users.MapGet("/{username}", async (string username, UserDirectory directory, CancellationToken ct) =>
            await directory.FindAsync(username, ct) is { } user ? Results.Ok(UserView.From(user)) : NotFound(username));

        users.MapPost("/", async (HttpRequest request, UserDirectory directory, CancellationToken ct) =>
        {
            var (body, error) = await JsonBody.ReadAsync<CreateUserRequest>(request, ct);
            return error ?? ToResult(await directory.CreateAsync(body!, ct), body!.Username ?? "", created: true);
        });

        users.MapPatch("/{username}", async (string username, HttpRequest request, UserDirectory directory, CancellationToken ct) =>
        {
            var (body, error) = await JsonBody.ReadAsync<UpdateUserRequest>(request, ct);
            return error ?? ToResult(await directory.UpdateAsync(username, body!, ct), username, created: false);
        });

        users.MapDelete("/{username}", async (string username, UserDirectory directory, CancellationToken ct) =>
            await directory.DeleteAsync(username, ct) switch
            {
                UserChangeResult.Done => Results.NoContent(),
                var refused => ToResult(refused, username, created: false),
            });

        return app;
    }

    private static IResult ToResult(UserChangeResult result, string username, bool created) => result switch
    {
        UserChangeResult.Done(var user) when created => Results.Created($"/api/users/{Uri.EscapeDataString(user.UserName)}", UserView.From(user)),
        UserChangeResult.Done(var user) => Results.Ok(UserView.From(user)),
        UserChangeResult.Invalid(var errors) => Results.ValidationProblem(errors),
        UserChangeResult.Conflict(var message) => Results.Problem(message, statusCode: StatusCodes.Status409Conflict),
        _ => NotFound(username),
    };

    private static IResult NotFound(string username) =>
        Results.Problem($"There is no user named '{username}'.", statusCode: StatusCodes.Status404NotFound);
}
