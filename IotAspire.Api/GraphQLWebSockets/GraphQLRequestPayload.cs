using System.Text.Json;
using GraphQL;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>The payload of a <c>subscribe</c> message: a GraphQL request, as over HTTP.</summary>
public sealed record GraphQLRequestPayload(string Query, string? OperationName, Inputs? Variables, Inputs? Extensions)
{
    public static GraphQLRequestPayload From(JsonElement payload, IGraphQLTextSerializer serializer)
    {
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("subscribe's payload has no string 'query'.");
        }

        return new GraphQLRequestPayload(
            query.GetString()!,
            payload.TryGetProperty("operationName", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null,
            InputsIn(payload, "variables", serializer),
            InputsIn(payload, "extensions", serializer));
    }

    private static Inputs? InputsIn(JsonElement payload, string property, IGraphQLTextSerializer serializer) =>
        payload.TryGetProperty(property, out var value) switch
        {
            false => null,
            true when value.ValueKind == JsonValueKind.Null => null,
            true when value.ValueKind == JsonValueKind.Object => serializer.Deserialize<Inputs>(value.GetRawText()),
            _ => throw new FormatException($"subscribe's '{property}' must be an object."),
        };
}
