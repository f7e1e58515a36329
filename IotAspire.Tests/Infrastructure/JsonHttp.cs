using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace IotAspire.Tests.Infrastructure;

public static class JsonHttp
{
    /// <summary>Sends a request (with a bearer token and an Accept type, when given) and reads the JSON answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(
        this HttpClient http, HttpRequestMessage request, string? bearer, string? accept = null)
    {
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
