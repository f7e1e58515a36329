using IotAspire.Api.Data;
using IotAspire.Api.Security;
using IotAspire.Shared;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReadingsDatabase(ResourceNames.ReadingsDatabase);
builder.AddTokenValidation(ResourceNames.Auth);

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapCallerEndpoints();
app.MapGet("/", () => Results.Text("IotAspire API. GraphQL arrives at /graphql."));

app.Run();
