using System.Security.Cryptography;
using IotAspire.Api.Security;

namespace IotAspire.UnitTests.Readings;

public sealed class DeviceTokenFormatTests
{
    [Fact]
    public void A_new_token_reads_back_to_its_id_and_the_hash_stored_for_it()
    {
        var id = Guid.CreateVersion7();

        var (token, storedHash) = DeviceTokenFormat.New(id);

        Assert.StartsWith(DeviceTokenFormat.Prefix, token);
        Assert.DoesNotContain(token, c => c is '+' or '/' or '=');   // safe in headers and URLs as it is
        Assert.True(DeviceTokenFormat.TryRead(token, out var readId, out var presentedHash));
        Assert.Equal(id, readId);
        Assert.True(DeviceTokenFormat.Matches(storedHash, presentedHash));
        Assert.Equal(32, storedHash.Length);
    }

    [Fact]
    public void Two_tokens_for_the_same_id_have_different_secrets()
    {
        var id = Guid.CreateVersion7();

        var (first, firstHash) = DeviceTokenFormat.New(id);
        var (second, _) = DeviceTokenFormat.New(id);

        Assert.NotEqual(first, second);
        Assert.True(DeviceTokenFormat.TryRead(second, out _, out var secondPresented));
        Assert.False(DeviceTokenFormat.Matches(firstHash, secondPresented));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("iotd_")]
    [InlineData("iotd_***")]
    [InlineData("iotd_AAAA")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.e30.sig")]
    public void Anything_else_is_not_a_device_token(string? token) =>
        Assert.False(DeviceTokenFormat.TryRead(token, out _, out _));

    [Fact]
    public void A_token_one_byte_too_long_or_short_is_refused()
    {
        var raw = RandomNumberGenerator.GetBytes(49);

        Assert.False(DeviceTokenFormat.TryRead(DeviceTokenFormat.Prefix + System.Buffers.Text.Base64Url.EncodeToString(raw), out _, out _));
        Assert.False(DeviceTokenFormat.TryRead(DeviceTokenFormat.Prefix + System.Buffers.Text.Base64Url.EncodeToString(raw.AsSpan(0, 47)), out _, out _));
        Assert.True(DeviceTokenFormat.TryRead(DeviceTokenFormat.Prefix + System.Buffers.Text.Base64Url.EncodeToString(raw.AsSpan(0, 48)), out _, out _));
    }

    [Theory]
    [InlineData("Bearer iotd_abc", true)]
    [InlineData("Bearer eyJhbGci", false)]
    [InlineData("bearer iotd_abc", false)]
    [InlineData(null, false)]
    public void Only_a_bearer_device_token_goes_to_the_device_token_scheme(string? authorization, bool expected) =>
        Assert.Equal(expected, DeviceTokenFormat.IsDeviceToken(authorization));

    [Fact]
    public void A_token_derived_from_a_seed_is_a_device_token_of_its_own_for_each_device_and_seed()
    {
        var (device, other) = (Guid.NewGuid(), Guid.NewGuid());

        var token = IotAspire.DeviceTokenText.ForDevice("a-seed-of-the-apphost-0123", device);

        Assert.Equal(token, IotAspire.DeviceTokenText.ForDevice("a-seed-of-the-apphost-0123", device));
        Assert.True(DeviceTokenFormat.TryRead(token, out var id, out _));
        Assert.True(DeviceTokenFormat.TryRead(IotAspire.DeviceTokenText.ForDevice("a-seed-of-the-apphost-0123", other), out var otherId, out _));
        Assert.NotEqual(id, otherId);
        Assert.NotEqual(token, IotAspire.DeviceTokenText.ForDevice("another-seed-of-the-apphost", device));
    }
}
