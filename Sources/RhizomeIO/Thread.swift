#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CRhizomeSystem

/// Starts a detached OS thread. Blocking C calls (libssh2 handshakes, the
/// controller's event loop) run on threads of their own, never on the shared
/// concurrency pool.
public enum OSThread {
    private final class Box {
        let body: () -> Void
        let name: String
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = String(name.prefix(15))
            self.body = body
        }
    }

    public static func detach(name: String = "rhizome", _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            CRhizome_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }
}
