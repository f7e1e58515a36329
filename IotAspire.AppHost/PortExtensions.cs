namespace IotAspire.AppHost;

public static class PortExtensions
{
    /// <summary>Puts a service's "http" endpoint on a fixed port from the AppHost's <c>Ports</c> settings,
    /// so the documented URLs hold. (Tests randomise ports on top of this.)</summary>
    public static IResourceBuilder<ProjectResource> WithFixedHttpPort(this IResourceBuilder<ProjectResource> project, int port) =>
        project.WithEndpoint("http", endpoint => endpoint.Port = port);

    public static int GetPort(this IDistributedApplicationBuilder builder, string service) =>
        int.TryParse(builder.Configuration[$"Ports:{service}"], out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"Ports:{service} must be a TCP port number (1-65535), not '{builder.Configuration[$"Ports:{service}"]}'.");
}
