using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using IotAspire.Api.Errors;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// GraphQL over HTTP (the GraphQL Foundation's specification): POST with a JSON body, or GET with the query
/// in the URL for queries only. Hand-written because GraphQL.NET's own transport (the GraphQL.Server.*
/// packages) is not available from the package feed this project builds from; it is kept to what the
/// specification asks, on top of GraphQL.NET's executer and serializer. Answers <c>application/graphql-response+json</c> when the client accepts it
/// (then a request that fails before execution gets 4xx), otherwise <c>application/json</c> (always 200 once
/// the request is well-formed). Every operation needs a valid access token.
/// </summary>
public static class GraphQLHttpEndpoint
{
    private const string GraphQLResponseJson = "application/graphql-response+json";
    private const string Json = "application/json";

    public static WebApplication MapGraphQLEndpoint(this WebApplication app, string path)
    {
        app.UseGraphQLIdeFiles(path);

        // Building the schema now makes a schema error fail the start, not the first request.
        var schema = app.Services.GetRequiredService<ISchema>();
        // An IDE's introspection query is wide (~180 000 at full weight) but cheap on a schema this small:
        // it counts at 5% towards the complexity limit, while the depth limit still bounds its nesting.
        schema.WithIntrospectionComplexityImpact(GraphQLHttpTransportExtensions.IntrospectionImpact);
        schema.Initialize();

        app.MapPost(path, HandlePostAsync);
        app.MapGet(path, HandleGetAsync);
        // The public contract, also checked in as schema.graphql.
        app.MapGet(path + "/schema.graphql", () => Results.Text(schema.Print(), "text/plain; charset=utf-8"));
        return app;
    }

    private static async Task HandlePostAsync(HttpContext http, IGraphQLTextSerializer serializer)
    {
        if (!http.Request.HasJsonContentType())
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status415UnsupportedMediaType,
                "Send the GraphQL request as JSON (Content-Type: application/json).");
            return;
        }

        GraphQLRequest? request;
        try
        {
            request = await serializer.ReadAsync<GraphQLRequest>(http.Request.Body, http.RequestAborted);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or GraphQL.Execution.InvalidOperationError or InvalidOperationException)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest, $"The request body is not a valid GraphQL request: {e.Message}");
            return;
        }

        await ExecuteAsync(http, serializer, request, sentOverGet: false);
    }

    private static async Task HandleGetAsync(HttpContext http, IGraphQLTextSerializer serializer)
    {
        if (GraphQLIde.IsWanted(http.Request))
        {
            await GraphQLIde.ServeAsync(http);
            return;
        }

        var query = http.Request.Query;
        if (string.IsNullOrEmpty(query["query"]))
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest,
                "A GET request carries the GraphQL query in the 'query' URL parameter; use POST for anything else.");
            return;
        }

        GraphQLRequest request;
        try
        {
            request = new GraphQLRequest
            {
                Query = query["query"],
                OperationName = string.IsNullOrEmpty(query["operationName"]) ? null : query["operationName"].ToString(),
                Variables = string.IsNullOrEmpty(query["variables"]) ? null : serializer.Deserialize<Inputs>(query["variables"]),
                Extensions = string.IsNullOrEmpty(query["extensions"]) ? null : serializer.Deserialize<Inputs>(query["extensions"]),
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or GraphQL.Execution.InvalidOperationError or InvalidOperationException)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest, $"The 'variables' or 'extensions' URL parameter is not valid JSON: {e.Message}");
            return;
        }

        await ExecuteAsync(http, serializer, request, sentOverGet: true);
    }

    private static async Task ExecuteAsync(HttpContext http, IGraphQLTextSerializer serializer, GraphQLRequest? request, bool sentOverGet)
    {
        if (request?.Query is null)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest, "The request has no 'query'.");
            return;
        }

        if (http.User.Identity?.IsAuthenticated != true)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteResultAsync(http, serializer, StatusCodes.Status401Unauthorized, new ExecutionResult
            {
                Errors = [new ExecutionError("Sign in first: send an access token from the token service as 'Authorization: Bearer <token>'.")
                    { Code = ApiErrors.Unauthenticated }],
            });
            return;
        }

        var executer = http.RequestServices.GetRequiredService<IDocumentExecuter<ISchema>>();
        var result = await executer.ExecuteAsync(options =>
        {
            options.Query = request.Query;
            options.OperationName = request.OperationName;
            options.Variables = request.Variables;
            options.Extensions = request.Extensions;
            options.User = http.User;
            options.UserContext[OnlyQueriesOverGetRule.SentOverGetKey] = sentOverGet;
            options.RequestServices = http.RequestServices;
            options.CancellationToken = http.RequestAborted;
        });

        if (result.Errors?.Any(error => error is NotAQueryOverGetError) == true)
        {
            http.Response.Headers.Allow = "GET, POST";
            await WriteResultAsync(http, serializer, StatusCodes.Status405MethodNotAllowed, result);
            return;
        }

        // With the GraphQL response media type, a request that never executed (parse or validation
        // errors) is the client's fault: 400. Plain application/json keeps 200 for older clients.
        var status = result.Executed || !AcceptsGraphQLResponse(http.Request) ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        await WriteResultAsync(http, serializer, status, result);
    }

    private static Task WriteRequestErrorAsync(HttpContext http, IGraphQLTextSerializer serializer, int status, string message) =>
        WriteResultAsync(http, serializer, status, new ExecutionResult { Errors = [new ExecutionError(message) { Code = ApiErrors.BadUserInput }] });

    private static async Task WriteResultAsync(HttpContext http, IGraphQLTextSerializer serializer, int status, ExecutionResult result)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = (AcceptsGraphQLResponse(http.Request) ? GraphQLResponseJson : Json) + "; charset=utf-8";
        await serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }

    private static bool AcceptsGraphQLResponse(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals(GraphQLResponseJson, StringComparison.OrdinalIgnoreCase));
}
