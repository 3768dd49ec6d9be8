using Chat.Protocol;
using FluentAssertions;
using NUnit.Framework;

namespace Chat.Tests.Protocol;

public sealed class NamesTests
{
    [TestCase("a", true)]
    [TestCase("Ab0._:-", true)]
    [TestCase("", false)]
    [TestCase("a b", false)]
    [TestCase("é", false)]
    public void Event_ids_follow_the_documented_alphabet(string id, bool valid) =>
        Names.IsValidEventId(id).Should().Be(valid);

    [Test]
    public void Event_ids_are_at_most_64_characters()
    {
        Names.IsValidEventId(new string('x', 64)).Should().BeTrue();
        Names.IsValidEventId(new string('x', 65)).Should().BeFalse();
    }

    [TestCase("general", true)]
    [TestCase("a:b", false)]
    [TestCase("", false)]
    [TestCase(".", false)]
    [TestCase("..", false)]
    [TestCase("...", true)]
    [TestCase(".hidden", true)]
    public void Room_names_follow_the_documented_alphabet(string room, bool valid) =>
        Names.IsValidRoom(room).Should().Be(valid);

    [TestCase("ann", true)]
    [TestCase("an", false)]
    [TestCase("ann smith", false)]
    public void User_names_are_3_to_32_plain_characters(string name, bool valid) =>
        Names.IsValidUsername(name).Should().Be(valid);
}
