using IotAspire.Auth.Accounts;

namespace IotAspire.UnitTests.Accounts;

public sealed class PasswordPolicyTests
{
    [Theory]
    [InlineData("User1@1234")]
    [InlineData("correct horse battery 9")]
    [InlineData("Sensor-Fleet-Pw-42")]
    public void Mixed_passwords_of_eight_or_more_characters_pass(string password)
    {
        Assert.Null(PasswordPolicy.Check("customer1", password));
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("Ab1!", "at least 8")]
    [InlineData("abcdefghij", "mix letters")]
    [InlineData("1234567890123", "mix letters")]
    [InlineData("Password1", "most common")]
    [InlineData("my-customer1-pw", "must not contain the username")]
    public void Weak_passwords_are_refused_with_a_reason_a_person_can_act_on(string? password, string reason)
    {
        Assert.Contains(reason, PasswordPolicy.Check("customer1", password));
    }

    [Fact]
    public void Passwords_longer_than_the_maximum_are_refused()
    {
        Assert.Contains("at most 128", PasswordPolicy.Check("customer1", "a1" + new string('x', 127)));
    }
}
