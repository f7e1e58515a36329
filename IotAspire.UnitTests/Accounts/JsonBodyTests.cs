using System.Text;
using IotAspire.Auth.Http;
using IotAspire.Auth.Tokens;
using Microsoft.AspNetCore.Http;

namespace IotAspire.UnitTests.Accounts;

public sealed class JsonBodyTests
{
    private static HttpRequest Request(string body, string contentType = "application/json")
    {
        var http = new DefaultHttpContext();
        http.Request.ContentType = contentType;
        http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return http.Request;
    }

    /// <summary>The 400's errors by field, as the caller receives them.</summary>
    private static IDictionary<string, string[]> Errors(IResult? error)
    {
        var details = Assert.IsAssignableFrom<HttpValidationProblemDetails>(Assert.IsAssignableFrom<IValueHttpResult>(error).Value);
        return details.Errors;
    }

    [Fact]
    public async Task A_well_formed_body_is_read()
    {
        var (body, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request("""{"username":"a","password":"b"}"""), default);

        Assert.Null(error);
        Assert.Equal(new TokenEndpoints.SignInRequest("a", "b"), body);
    }

    [Fact]
    public async Task An_unknown_field_is_named_so_a_typo_is_not_silently_ignored()
    {
        var (_, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request("""{"username":"a","pasword":"b"}"""), default);

        Assert.Contains("is not a field of this request", Assert.Single(Errors(error)["pasword"]));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_names_its_field()
    {
        var (_, error) = await JsonBody.ReadAsync<IotAspire.Auth.Users.UpdateUserRequest>(Request("""{"isActive":"yes"}"""), default);

        Assert.Contains("wrong type", Assert.Single(Errors(error)["isActive"]));
    }

    [Theory]
    [InlineData("""{"username": """, "not valid JSON")]
    [InlineData("null", "must be a JSON object")]
    public async Task Broken_json_is_about_the_body_as_a_whole(string text, string reason)
    {
        var (_, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request(text), default);

        Assert.Contains(reason, Assert.Single(Errors(error)["body"]));
    }

    [Fact]
    public async Task A_body_that_is_not_json_asks_for_json()
    {
        var (_, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request("username=a", "application/x-www-form-urlencoded"), default);

        Assert.Contains("Content-Type: application/json", Assert.Single(Errors(error)["body"]));
    }

    [Fact]
    public async Task A_nul_character_in_a_text_field_is_refused_with_the_field_named()
    {
        var (_, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request("{\"username\":\"ad\\u0000min\",\"password\":\"b\"}"), default);

        Assert.Contains("NUL character", Assert.Single(Errors(error)["username"]));
    }

    [Theory]
    [InlineData("{\"username\":\"ad\\nmin\",\"password\":\"b\"}", "username", "'username' contains the control character U+000A (at 2)")]
    [InlineData("{\"username\":\"admin\",\"password\":\"b\\u001b[2J\"}", "password", "'password' contains the control character U+001B (at 1)")]
    [InlineData("{\"username\":\"a\\ud800b\",\"password\":\"b\"}", "username", "'username' has the wrong type or format")]   // System.Text.Json refuses it first
    public async Task Control_characters_and_unpaired_surrogates_are_refused_with_the_field_named(string body, string field, string message)
    {
        var (_, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request(body), default);

        Assert.StartsWith(message, Assert.Single(Errors(error)[field]));
    }

    [Fact]
    public async Task Over_long_text_is_refused_with_the_field_named()
    {
        var body = "{\"username\":\"" + new string('a', Shared.Text.TextInput.MaxLength + 1) + "\",\"password\":\"b\"}";
        var (_, error) = await JsonBody.ReadAsync<TokenEndpoints.SignInRequest>(Request(body), default);

        Assert.StartsWith($"'username' may be at most {Shared.Text.TextInput.MaxLength} characters", Assert.Single(Errors(error)["username"]));
    }
}
