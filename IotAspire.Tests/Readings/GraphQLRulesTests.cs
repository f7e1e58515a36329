using System.Net;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary>Refusals and limits of the GraphQL API: each with its code, nothing half-written.</summary>
[Collection(AppHostCollection.Name)]
public sealed class GraphQLRulesTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static object Reading(Guid device, string timestamp, double value, Guid? customerId = null) =>
        new { timestamp, reading = value, deviceId = device, customerId };

    private async Task<List<JsonElement>> DevicesAsync(string token) =>
        (await graphQL.DataAsync(GraphQLDocuments.Devices, null, token)).GetProperty("devices").EnumerateArray().ToList();

    [Theory]
    [InlineData(null)]
    [InlineData("abc")]
    public async Task Without_a_valid_token_every_operation_gets_401_unauthenticated(string? token)
    {
        var (status, body) = await graphQL.PostAsync("{ devices { id } }", null, token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("UNAUTHENTICATED", GraphQLClient.SingleError(body).Code);
    }

    [Fact]
    public async Task A_reading_for_another_customer_is_forbidden_and_nothing_is_written()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();

        var (_, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, new
        {
            readings = new[] { Reading(device, "2022-02-01T00:00:00Z", 1), Reading(Guid.NewGuid(), "2022-02-01T00:00:00Z", 1, Guid.NewGuid()) },
        }, token);

        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(body).Code);
        Assert.Empty(await DevicesAsync(token));
    }

    [Fact]
    public async Task A_device_owned_by_another_customer_is_forbidden_by_name_and_nothing_is_written()
    {
        var (owner, _) = await auth.NewCustomerAsync();
        var (other, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { Reading(device, "2022-02-01T00:00:00Z", 1) } }, owner);

        var (_, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, new
        {
            readings = new[] { Reading(Guid.NewGuid(), "2022-02-01T00:00:00Z", 2), Reading(device, "2022-02-01T00:01:00Z", 3) },
        }, other);

        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("FORBIDDEN", code);
        Assert.Contains(device.ToString(), message);
        Assert.Empty(await DevicesAsync(other));
        Assert.Equal(1, Assert.Single(await DevicesAsync(owner)).GetProperty("readingCount").GetInt32());
    }

    [Fact]
    public async Task Retrying_a_batch_changes_nothing_and_a_changed_value_is_updated()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var batch = new[] { Reading(device, "2022-02-01T00:00:00.123456", 1), Reading(device, "2022-02-01T00:01:00Z", 2) };

        var first = await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = batch }, token);
        var retry = await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = batch }, token);
        var changed = await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { batch[0], Reading(device, "2022-02-01T00:01:00+00:00", 5) } }, token);

        Assert.Equal("""{"inserted":2,"updated":0,"unchanged":0}""", first.GetProperty("ingestReadings").GetRawText());
        Assert.Equal("""{"inserted":0,"updated":0,"unchanged":2}""", retry.GetProperty("ingestReadings").GetRawText());
        Assert.Equal("""{"inserted":0,"updated":1,"unchanged":1}""", changed.GetProperty("ingestReadings").GetRawText());
    }

    [Fact]
    public async Task An_oversized_batch_is_refused_with_the_limit_and_nothing_is_written()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var start = new DateTimeOffset(2022, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var readings = Enumerable.Range(0, 10_001).Select(i => Reading(device, start.AddSeconds(i).ToString("O"), i)).ToArray();

        var (_, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, new { readings }, token);

        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains("10000", message);
        Assert.Empty(await DevicesAsync(token));
    }

    [Fact]
    public async Task An_administrator_must_name_the_customer_of_every_reading()
    {
        var (_, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest,
            new { readings = new[] { Reading(Guid.NewGuid(), "2022-02-01T00:00:00Z", 1) } }, await auth.AdminAccessTokenAsync());

        Assert.Equal("BAD_USER_INPUT", GraphQLClient.SingleError(body).Code);
    }

    [Fact]
    public async Task A_customer_naming_another_customer_is_forbidden_and_no_readings_is_an_empty_list()
    {
        var (token, own) = await auth.NewCustomerAsync();

        var (_, forbidden) = await graphQL.PostAsync(GraphQLDocuments.Aggregates, new { customerId = Guid.NewGuid() }, token);
        var empty = await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { customerId = own }, token);

        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(forbidden).Code);
        Assert.Equal(0, empty.GetProperty("deviceAggregates").GetArrayLength());
    }

    [Theory]
    [InlineData("""{ deviceAggregates(from: "2022-01-02", to: "2022-01-01") { deviceId } }""", "from")]
    [InlineData("""{ deviceAggregates(aggregationSizeMinutes: 0) { deviceId } }""", "aggregationSizeMinutes")]
    [InlineData("""{ deviceAggregates(aggregationSizeMinutes: 527041) { deviceId } }""", "aggregationSizeMinutes")]
    [InlineData("""{ deviceAggregates(from: "2000-01-01T00:00:00Z", to: "2022-01-01T00:00:00Z", aggregationSizeMinutes: 1) { deviceId } }""", "aggregationSizeMinutes of at least")]
    [InlineData("""{ deviceAggregates(deviceIds: ["not-a-uuid"]) { deviceId } }""", "deviceIds")]
    [InlineData("""{ deviceAggregates(from: "21/01/2022") { deviceId } }""", "from")]
    [InlineData("""{ devices(customerId: "123") { id } }""", "customerId")]
    public async Task Bad_arguments_get_bad_user_input_naming_the_argument(string query, string named)
    {
        var (_, body) = await graphQL.PostAsync(query, null, await auth.AdminAccessTokenAsync());

        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains(named, message);
    }

    [Fact]
    public async Task A_malformed_variable_is_bad_user_input_also_when_the_document_is_cached()
    {
        var admin = await auth.AdminAccessTokenAsync();
        await graphQL.DataAsync(GraphQLDocuments.Devices, new { customerId = Guid.NewGuid() }, admin);   // caches the document

        var (_, body) = await graphQL.PostAsync(GraphQLDocuments.Devices, new { customerId = "not-a-uuid" }, admin);

        Assert.Equal("BAD_USER_INPUT", GraphQLClient.SingleError(body).Code);
    }

    [Fact]
    public async Task A_cached_document_still_needs_a_token()
    {
        const string query = "query CachedThenAnonymous { devices { id } }";
        await graphQL.DataAsync(query, null, await auth.AdminAccessTokenAsync());

        var (status, body) = await graphQL.PostAsync(query, null, token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("UNAUTHENTICATED", GraphQLClient.SingleError(body).Code);
    }

    [Fact]
    public async Task A_flood_of_aliases_is_refused_by_the_document_limits()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var long3000 = string.Join(" ", Enumerable.Range(0, 3_000).Select(i => $"a{i}: devices {{ id customerId }}"));
        var short300 = string.Join(" ", Enumerable.Range(0, 300).Select(i => $"a{i}: devices {{ id }}"));

        var (_, tooLong) = await graphQL.PostAsync("{ " + long3000 + " }", null, admin);
        var (_, tooMany) = await graphQL.PostAsync("{ " + short300 + " }", null, admin);

        Assert.Equal(("BAD_USER_INPUT", true), (GraphQLClient.SingleError(tooLong).Code, GraphQLClient.SingleError(tooLong).Message.Contains("at most 16384 characters")));
        Assert.Equal(("BAD_USER_INPUT", true), (GraphQLClient.SingleError(tooMany).Code, GraphQLClient.SingleError(tooMany).Message.Contains("at most 4 root fields")));
    }

    [Fact]
    public async Task Queries_work_over_get_and_a_mutation_over_get_is_405()
    {
        var admin = await auth.AdminAccessTokenAsync();
        using var query = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("{ devices { id } }"));
        using var mutation = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("mutation { ingestReadings(readings: []) { inserted } }"));

        Assert.Equal(HttpStatusCode.OK, (await graphQL.SendAsync(query, admin)).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await graphQL.SendAsync(mutation, admin)).Status);
    }

    [Fact]
    public async Task A_mutation_cached_from_a_post_is_still_405_over_get()
    {
        var admin = await auth.AdminAccessTokenAsync();
        const string mutation = "mutation CachedThenGet { ingestReadings(readings: []) { inserted } }";
        await graphQL.DataAsync(mutation, null, admin);   // parsed, validated and cached

        using var overGet = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(mutation));
        var (status, body) = await graphQL.SendAsync(overGet, admin);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Contains("must be sent with POST", GraphQLClient.SingleError(body).Message);
    }

    [Fact]
    public async Task With_the_graphql_response_media_type_an_invalid_document_is_400()
    {
        var admin = await auth.AdminAccessTokenAsync();

        var (asGraphQLResponse, _) = await graphQL.PostAsync("{ noSuchField }", null, admin, "application/graphql-response+json");
        var (asJson, _) = await graphQL.PostAsync("{ noSuchField }", null, admin, "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, asGraphQLResponse);
        Assert.Equal(HttpStatusCode.OK, asJson);
    }

    [Fact]
    public async Task Introspection_works_within_the_limits_and_a_deeper_query_is_refused()
    {
        var admin = await auth.AdminAccessTokenAsync();
        const string introspection = """
            query { __schema { queryType { name } types { name kind fields(includeDeprecated: true) { name args { name type { ...T } }
              type { ...T } } inputFields { name type { ...T } } } } }
            fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }
            """;
        var nesting = string.Concat(Enumerable.Repeat("fields { type { ", 8));
        var tooDeep = "{ __schema { types { " + nesting + "name" + string.Concat(Enumerable.Repeat(" } }", 8)) + " } } }";

        var schema = await graphQL.DataAsync(introspection, null, admin);
        var (_, refused) = await graphQL.PostAsync(tooDeep, null, admin);

        Assert.Contains(schema.GetProperty("__schema").GetProperty("types").EnumerateArray(), t => t.GetProperty("name").GetString() == "DeviceAggregate");
        Assert.Contains("depth", GraphQLClient.SingleError(refused).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_running_schema_is_the_checked_in_schema_graphql()
    {
        var published = await graphQL.Http.GetStringAsync("/graphql/schema.graphql");
        var checkedIn = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "schema.graphql"));

        Assert.Equal(checkedIn.ReplaceLineEndings().Trim(), published.ReplaceLineEndings().Trim());
    }
}
