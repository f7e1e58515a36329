using IotAspire.Api.Errors;
using IotAspire.Api.Security;

namespace IotAspire.UnitTests.Readings;

public sealed class CustomerScopeTests
{
    private static readonly Guid Own = Guid.Parse("b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df");
    private static readonly Guid Other = Guid.Parse("09a96248-2a72-4288-ac9b-02f2779161e3");
    private static readonly Caller Customer = new("customer1", "customer", Own);
    private static readonly Caller Admin = new("admin", "admin", null);

    [Fact]
    public void A_device_token_reads_nothing_not_even_its_own_customer()
    {
        var device = new Caller("device", "device", Own, Other);

        var refused = Assert.Throws<ApiErrorException>(() => CustomerScope.For(device, Own));

        Assert.Equal(ApiErrors.Forbidden, refused.Code);
        Assert.Contains("may only send the readings of its device", refused.Message);
    }

    [Fact]
    public void A_customer_reads_its_own_customer_whether_or_not_it_names_it()
    {
        Assert.Equal(Own, CustomerScope.For(Customer, null));
        Assert.Equal(Own, CustomerScope.For(Customer, Own));
    }

    [Fact]
    public void A_customer_naming_another_customer_is_forbidden_with_both_ids_in_the_message()
    {
        var refused = Assert.Throws<ApiErrorException>(() => CustomerScope.For(Customer, Other));

        Assert.Equal(ApiErrors.Forbidden, refused.Code);
        Assert.Contains(Own.ToString(), refused.Message);
        Assert.Contains(Other.ToString(), refused.Message);
    }

    [Fact]
    public void An_administrator_reads_every_customer_or_the_one_it_names()
    {
        Assert.Null(CustomerScope.For(Admin, null));
        Assert.Equal(Other, CustomerScope.For(Admin, Other));
    }

    [Theory]
    [InlineData("customer")]
    [InlineData("")]
    [InlineData("operator")]
    public void An_account_without_a_customer_id_may_not_read_or_write(string role)
    {
        var caller = new Caller("nobody", role, null);

        Assert.Equal(ApiErrors.Forbidden, Assert.Throws<ApiErrorException>(() => CustomerScope.For(caller, null)).Code);
        Assert.Equal(ApiErrors.Forbidden, Assert.Throws<ApiErrorException>(() => CustomerScope.Own(caller)).Code);
    }
}
