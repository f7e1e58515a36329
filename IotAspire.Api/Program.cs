using IotAspire.Api.Data;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.Security;
using IotAspire.Shared;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReadingsDatabase(ResourceNames.ReadingsDatabase);
builder.AddTokenValidation(ResourceNames.Auth);
builder.AddReadingsGraphQL();

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapCallerEndpoints();
app.MapGraphQLEndpoint("/graphql");
app.MapGet("/", () => Results.Redirect("/graphql"));

app.Run();
