using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using IotAspire.Api.Schema;
using IotAspire.Api.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// GraphQL over HTTP (the GraphQL Foundation's specification): POST with a JSON body, or GET with the query
/// in the URL for queries only. Hand-written because GraphQL.NET's own transport (the GraphQL.Server.*
/// packages) is not available from the package feed this project builds from; it is kept to what the
/// specification asks, on top of GraphQL.NET's executer and serializer.
/// <para>
/// Answers <c>application/graphql-response+json</c> when the client accepts it (then a request that fails
/// before execution gets 4xx), otherwise <c>application/json</c> (always 200 once the request is
/// well-formed). Every operation needs a valid access token, checked before the body is read; the body,
/// the document, the root fields, the parallelism and the time of a request are bounded
/// (<see cref="GraphQLHttpOptions"/>), each refusal naming its limit.
/// </para>
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
        // An IDE's introspection query is wide (713 000 at full weight with the keys' types, issue 31; 180 000 before) but
        // cheap on a schema this small: it counts at 1% towards the complexity limit, while the depth limit still bounds
        // its nesting. IntrospectionLimitsTests runs graphql-js's own query against the limit.
        schema.WithIntrospectionComplexityImpact(GraphQLHttpTransportExtensions.IntrospectionImpact);
        schema.Initialize();

        app.MapPost(path, HandlePostAsync);
        app.MapGet(path, HandleGetAsync);
        // The public contract, also checked in as schema.graphql.
        app.MapGet(path + "/schema.graphql", () => Results.Text(schema.Print(), "text/plain; charset=utf-8"));
        return app;
    }

    private static async Task HandlePostAsync(HttpContext http, IGraphQLTextSerializer serializer, IOptions<GraphQLHttpOptions> options)
    {
        // Nothing of an anonymous request is read: the token comes first, the body only after it.
        if (!await IsSignedInAsync(http, serializer))
        {
            return;
        }

        if (!http.Request.HasJsonContentType())
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status415UnsupportedMediaType,
                "Send the GraphQL request as JSON (Content-Type: application/json).");
            return;
        }

        var limit = options.Value.MaxRequestBodyBytes;
        var tooLarge = $"The request body may be at most {limit} bytes. Send readings in smaller batches.";
        if (http.Request.ContentLength > limit)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status413PayloadTooLarge, tooLarge);
            return;
        }

        // Also bounds a body without Content-Length (chunked): Kestrel stops reading past the limit.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        GraphQLRequest? request;
        try
        {
            request = await serializer.ReadAsync<GraphQLRequest>(http.Request.Body, http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status413PayloadTooLarge, tooLarge);
            return;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or GraphQL.Execution.InvalidOperationError or InvalidOperationException or FormatException)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest, $"The request body is not a valid GraphQL request: {e.Message}");
            return;
        }

        await ExecuteAsync(http, serializer, options.Value, request, sentOverGet: false);
    }

    private static async Task HandleGetAsync(HttpContext http, IGraphQLTextSerializer serializer, IOptions<GraphQLHttpOptions> options)
    {
        if (GraphQLIde.IsWanted(http.Request))
        {
            await GraphQLIde.ServeAsync(http);
            return;
        }

        if (!await IsSignedInAsync(http, serializer))
        {
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
        catch (Exception e) when (e is System.Text.Json.JsonException or GraphQL.Execution.InvalidOperationError or InvalidOperationException or FormatException)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest, $"The 'variables' or 'extensions' URL parameter is not valid JSON: {e.Message}");
            return;
        }

        await ExecuteAsync(http, serializer, options.Value, request, sentOverGet: true);
    }

    private static async Task<bool> IsSignedInAsync(HttpContext http, IGraphQLTextSerializer serializer)
    {
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return true;
        }

        http.Response.Headers.WWWAuthenticate = "Bearer";
        await WriteResultAsync(http, serializer, StatusCodes.Status401Unauthorized, new ExecutionResult
        {
            Errors = [new ExecutionError("Sign in first: send an access token from the token service, or a device's token, as 'Authorization: Bearer <token>'; an expired, revoked or unknown token counts as none.")
                { Code = ApiErrors.Unauthenticated }],
        });
        return false;
    }

    private static async Task ExecuteAsync(
        HttpContext http, IGraphQLTextSerializer serializer, GraphQLHttpOptions limits, GraphQLRequest? request, bool sentOverGet)
    {
        if (request?.Query is null)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest, "The request has no 'query'.");
            return;
        }

        if (request.Query.Length > limits.MaxQueryLength)
        {
            await WriteRequestErrorAsync(http, serializer, StatusCodes.Status400BadRequest,
                $"The GraphQL document may be at most {limits.MaxQueryLength} characters; this one has {request.Query.Length}. Pass data in variables.");
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(limits.RequestTimeout);
        var executer = http.RequestServices.GetRequiredService<IDocumentExecuter<ISchema>>();
        ExecutionResult result;
        try
        {
            result = await executer.ExecuteAsync(options =>
            {
                options.Query = request.Query;
                options.OperationName = request.OperationName;
                options.Variables = request.Variables;
                options.Extensions = request.Extensions;
                options.User = http.User;
                options.UserContext[OnlyQueriesOverGetRule.SentOverGetKey] = sentOverGet;
                options.RequestServices = http.RequestServices;
                options.MaxParallelExecutionCount = limits.MaxParallelResolvers;
                options.CancellationToken = timeout.Token;
            });
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            await WriteResultAsync(http, serializer, StatusCodes.Status504GatewayTimeout, new ExecutionResult
            {
                Errors = [new ExecutionError($"The request took longer than {limits.RequestTimeout.TotalSeconds:0} s and was cancelled; nothing of it was stored. "
                    + "Retry with a smaller batch or a narrower query (resending readings is harmless).") { Code = ApiErrors.Timeout }],
            });
            return;
        }

        if (result.Errors?.Any(error => error is NotAQueryOverGetError) == true)
        {
            http.Response.Headers.Allow = "GET, POST";
            await WriteResultAsync(http, serializer, StatusCodes.Status405MethodNotAllowed, result);
            return;
        }

        // With the GraphQL response media type, a request that never executed (parse or validation
        // errors) is the client's fault: 400. Plain application/json keeps 200 for older clients.
        var status = result.Executed || !AcceptsGraphQLResponse(http.Request) ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;

        // A field refused for now (a customer's heavy reads all taken): the request as a whole is to be retried.
        if (result.Errors?.OfType<RetryLaterError>().Max(error => (int?)error.RetryAfterSeconds) is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            status = StatusCodes.Status429TooManyRequests;
        }

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
