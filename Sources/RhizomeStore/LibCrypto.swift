import CCrypto

/// Process-wide settings of libcrypto.
public enum LibCrypto {
    /// Keeps libcrypto's state until the process is gone. By default
    /// libcrypto frees its locks in an `atexit` handler, while threads that
    /// are still closing SSH channels (and so still encrypting) use them:
    /// the process then crashes on its way out. Call before anything else
    /// touches libcrypto; later calls change nothing.
    public static func keepUntilExit() {
        _ = once
    }

    private static let once: Bool = {
        OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) == 1
    }()
}
