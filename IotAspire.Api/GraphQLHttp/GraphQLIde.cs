using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// Banana Cake Pop at <c>/graphql/</c> for a browser (a GET that asks for HTML and carries no query),
/// pointed at the page's own URL, which is the GraphQL endpoint. Its files come from npm at build time
/// (see the project file); its telemetry is switched off.
/// </summary>
public static class GraphQLIde
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "GraphQLIde");

    public static void UseGraphQLIdeFiles(this WebApplication app, string path)
    {
        if (Directory.Exists(Folder))
        {
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Folder), RequestPath = path });
        }

        app.MapGet(path + "/bcp-config.json", () => Results.Json(new
        {
            title = "IotAspire",
            useBrowserUrlAsEndpoint = true,
            disableTelemetry = true,
            includeCookies = false,
            // Subscriptions over WebSocket at the same URL (GraphQLWebSockets/), the HTTP headers going in connection_init.
            subscriptionProtocol = "graphql-transport-ws",
        }));
    }

    public static bool IsWanted(HttpRequest request) =>
        string.IsNullOrEmpty(request.Query["query"])
        && request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    public static async Task ServeAsync(HttpContext http)
    {
        // The IDE loads its files by relative URLs, which resolve under /graphql/ only with the slash.
        if (!http.Request.Path.Value!.EndsWith('/'))
        {
            http.Response.Redirect(http.Request.PathBase + http.Request.Path + "/" + http.Request.QueryString);
            return;
        }

        var index = Path.Combine(Folder, "index.html");
        if (!File.Exists(index))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync("The GraphQL IDE was not installed with this build (npm was missing). Install Node.js and npm and build again, or POST GraphQL requests to this URL.");
            return;
        }

        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        await http.Response.SendFileAsync(index);
    }
}
