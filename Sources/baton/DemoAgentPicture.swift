import Foundation

/// The demo agent's profile picture: a 96 px PNG (a person on the demo's teal), so the webchat shows an agent's
/// picture in its header and beside their replies as it would with a real Chatwoot agent who uploaded one.
enum DemoAgentPicture {
    static let png: [UInt8] = Array(Data(base64Encoded: base64.joined())!)

    private static let base64 = [
        "iVBORw0KGgoAAAANSUhEUgAAAGAAAABgCAIAAABt+uBvAAAFI0lEQVR42u3QV24bVxiAUe4g1bLlJse9LSG7Ubek22aGZcot28pCspQ8GHmIIZ",
        "oX/wcZUOOQojLAWcEZ/TRWpMmQJScUVFJFY5oIU5pRTQ21QkeeAkVK2WgIGoKGoF6Dfh4r0mTIkhMKKqmiMU2EKc2opoZaoSNPgSKlbPRzpUiT",
        "IUtOKKikisY0EaY0o5oaaoWOPAWKlLIh6LKgXypFmgxZckJBJVU0pokwpRnV1FArdOQpUKSUDUFD0C2Dfi0VaTJkyQkFlVTRmCbClGZUU0Ot0J",
        "GnQJFSNgQNQbcM+q1UpMmQJScUVFJFY5oIU5pRTQ21QkeeAkVK2RB0aVChSJMhS04oqKSKxjQRpjSjmhpqhY48BYqUstHvhSJNhiw5oaCSKhrT",
        "RJjSjGpqqBU68hQoUsqGoCFoo4P+/PjqKtYZ9MAp0mTIkhMKKqmiq9ZID9zsgaupoVboyFOgSClbQ9ANath0r4NuuXPhqP+gLadIkyFLTiiopG",
        "prSTtzW64+11ArdOQpUKSUjbasIk2GLDmhoJKWufP9yNZbtqFW6MhToEgpW1HQ0ncWR/0HPbSKNBmy5ISCyqynnbmHthFaoSNPgSKlrPegXncu",
        "HA1Bqw96ZBRpMmTJCQWV36xgZ+6Rac61QkeeAkVK2RC0vqCV7YijHoK2jSJNhiw5oaBVB22bZtu0QkeeAkVK2RB0aZBWpMmQJScUtPIg3WzrVu",
        "jIU6BIKRuCLgt6rBVpMmTJCQWtOuixbh7rVujIU6BIKRuC1hc098/ff/XtvKbpK+iJUqTJkCUnFFTOrSDoiWoWWqEjT4EipWwIGoJuGfRUKdJk",
        "yJITCirnVhD0VDULrdCRp0CRUjYEXRp0pkiTIUtOKKicW0XQWbPQCh15ChQpZaNnZ4o0GbLkhILKuRUEPTtrFlqhI0+BIqWs96C+j8TOELSWoO",
        "enijQZsuSEgkqpp53npw21QkeeAkVK2RB0N4Ken1Y97NT3Kmi5R+c7KwnaOVWkyZAlJxRUUrWz1KCd0/pcQ63QkadAkVI22jlRpMmQJScUVFKV",
        "3bbmpBYaaoWOPAWKlLI1BN3miDsrCXpxokiTIUtOKKikisbfXKvmxcnsXE0NtUJHngJFStk6g67YtKj5vwadmwhTmq056I8vijQZsuSEgkqqaE",
        "wTYUozqqmhVujIU6BIKRuChqBbBr38okiTIUtOKKikisY0EaY0o5oaaoWOPAWKlLIh6NKgY0WaDFlyQkElVTT++vXf63p5PHt5XFNDrdCRp0CR",
        "UjZ6daxIkyFLTiiopGruBi8XvTquFxpqhY48BYqUstUFLaXmQtO9CFp6DZs2OajXmh819RD0+kiRJkOWnFBIK6uRXh+1QkeeAkVKWS9Ba9m5cH",
        "RXg9a4w6MlBb05UqTJkCUnrL9GenPUkadAkVI2enOoSJMhSy67Uzvfjw47wVOgSClbTtAd3LlwdNOgt4eKNBmy5ObubNDbw27BU6BIKVtC0J3d",
        "4dGagu74jji6adC7A0WaDFlpI3bm3h14ChQpZUNQb0EbtPOjoysHvT9QpMmQzTYu6P2BFwJFStkNgzZu58LR1YP2FWkyZOc2NWjfLwSKlLKbBG",
        "3oDo+uHPRhX5EmQ/bDhgd92PfnAkVK2bWDNnpHHA1Bywr6uKdIk6H7EPRxz3/cCxQpZdcLugc7i6MhaFlBn/YUaTLSvQn6tBcoUsqGoEuDdhVp",
        "MtL9CdoNFCllo8+7ijQZ6d4Efd4NFCllQ9AQdLug/wB/RZAP5XR5+gAAAABJRU5ErkJggg==",
    ]
}
