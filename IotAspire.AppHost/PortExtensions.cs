namespace IotAspire.AppHost;

public static class PortExtensions
{
    /// <summary>
    /// Puts a service's "http" endpoint on its fixed port from the AppHost's <c>Ports</c> settings, so the documented
    /// URLs hold. A single process listens on that port itself, not behind Aspire's proxy: DCP's proxy is a TCP proxy
    /// that adds no forwarded header, so behind it every client is 127.0.0.1 to the service, and one client's bad
    /// tokens or wrong passwords would throttle everybody (the per-address limits). Replicas must share the port
    /// through the proxy; they then count all clients as one address (docs/reliability.md says so).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithFixedHttpPort(this IResourceBuilder<ProjectResource> project, string service) =>
        project.WithFixedPort("http", project.ApplicationBuilder.GetPort(service), service);

    /// <summary>An endpoint on a fixed port: on the port itself for one process, behind Aspire's proxy for replicas of <paramref name="service"/>.</summary>
    private static IResourceBuilder<ProjectResource> WithFixedPort(
        this IResourceBuilder<ProjectResource> project, string endpointName, int port, string service, string? scheme = null)
    {
        var proxied = IsProxied(project.ApplicationBuilder.GetReplicas(service));
        return project.WithEndpoint(endpointName, endpoint =>
        {
            endpoint.UriScheme = scheme ?? endpoint.UriScheme;
            endpoint.Port = port;
            endpoint.IsProxied = proxied;
            if (!proxied)
            {
                endpoint.TargetPort = port;
            }
        });
    }

    /// <summary>
    /// The API's MQTT listener as an endpoint of its own ("mqtt", tcp), on <c>Ports:Mqtt</c> (1883), placed as the "http"
    /// endpoint is (on the port itself for one process, behind the proxy for replicas), and its port given to the API.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithMqttEndpoint(this IResourceBuilder<ProjectResource> api, string service)
    {
        api.WithFixedPort("mqtt", api.ApplicationBuilder.GetPort("Mqtt"), service, scheme: "tcp");
        return api.WithEnvironment("DeviceProtocols__MqttPort", api.GetEndpoint("mqtt").Property(EndpointProperty.TargetPort));
    }

    /// <summary>Whether a service of <paramref name="replicas"/> processes sits behind Aspire's proxy: only to share a port.</summary>
    public static bool IsProxied(int replicas) => replicas > 1;

    public static int GetPort(this IDistributedApplicationBuilder builder, string service) =>
        int.TryParse(builder.Configuration[$"Ports:{service}"], out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"Ports:{service} must be a TCP port number (1-65535), not '{builder.Configuration[$"Ports:{service}"]}'.");
}
