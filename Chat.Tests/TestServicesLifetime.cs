using Chat.Tests.Support;

namespace Chat.Tests;

/// <summary>Stops, at the end of the run, the PostgreSQL and NATS servers the run started for itself.</summary>
[SetUpFixture]
public sealed class TestServicesLifetime
{
    [OneTimeTearDown]
    public void StopServices()
    {
        TestPostgres.StopStarted();
        TestNats.StopStarted();
    }
}
