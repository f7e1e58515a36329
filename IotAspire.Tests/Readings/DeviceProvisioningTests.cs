using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary>Administrators register, move and remove devices through GraphQL; a registered device cannot be claimed.</summary>
[Collection(AppHostCollection.Name)]
public class DeviceProvisioningTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static object Readings(Guid device, string timestamp) => new { readings = new[] { new { timestamp, reading = 1.0, deviceId = device } } };

    [Fact]
    public async Task A_registered_device_belongs_to_its_customer_can_be_moved_and_removed()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (first, firstId) = await auth.NewCustomerAsync();
        var (second, secondId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();

        var registered = await graphQL.DataAsync(GraphQLDocuments.RegisterDevice, new { d = device, c = firstId }, admin);
        Assert.Equal(firstId, registered.GetProperty("registerDevice").GetProperty("customerId").GetGuid());

        // Registered before it ever sent: the other customer cannot claim it, its own customer can send.
        var (_, claimed) = await graphQL.PostAsync(GraphQLDocuments.Ingest, Readings(device, "2022-06-01T00:00:00Z"), second);
        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(claimed).Code);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Readings(device, "2022-06-01T00:00:00Z"), first);

        // Moved: the new customer sends; the readings already stored stay with the first.
        var moved = await graphQL.DataAsync(GraphQLDocuments.RegisterDevice, new { d = device, c = secondId }, admin);
        Assert.Equal(0, moved.GetProperty("registerDevice").GetProperty("readingCount").GetInt32());
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Readings(device, "2022-06-01T00:01:00Z"), second);
        var (_, refused) = await graphQL.PostAsync(GraphQLDocuments.Ingest, Readings(device, "2022-06-01T00:02:00Z"), first);
        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(refused).Code);

        Assert.True((await graphQL.DataAsync(GraphQLDocuments.RemoveDevice, new { d = device }, admin)).GetProperty("removeDevice").GetBoolean());
        Assert.False((await graphQL.DataAsync(GraphQLDocuments.RemoveDevice, new { d = device }, admin)).GetProperty("removeDevice").GetBoolean());
    }

    [Fact]
    public async Task A_customer_may_neither_register_nor_remove_devices()
    {
        var (customer, customerId) = await auth.NewCustomerAsync();

        var (_, register) = await graphQL.PostAsync(GraphQLDocuments.RegisterDevice, new { d = Guid.NewGuid(), c = customerId }, customer);
        var (_, remove) = await graphQL.PostAsync(GraphQLDocuments.RemoveDevice, new { d = Guid.NewGuid() }, customer);

        Assert.Equal(("FORBIDDEN", "Only an administrator may register or remove devices."), GraphQLClient.SingleError(register));
        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(remove).Code);
    }
}
