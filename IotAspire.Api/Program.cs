using IotAspire.Api.Data;
using IotAspire.Shared;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReadingsDatabase(ResourceNames.ReadingsDatabase);

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text("IotAspire API. GraphQL arrives at /graphql."));

app.Run();
