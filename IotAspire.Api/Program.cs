using IotAspire.Api;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReadingsApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapReadingsApi();

app.Run();
