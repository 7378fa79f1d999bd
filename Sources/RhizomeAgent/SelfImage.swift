import RhizomeIO
import RhizomeMesh
import Synchronization

/// This agent's own executable, read once when the first child is spawned:
/// a relay sends its own image on, so the binary crosses each link once.
final class SelfImage: Sendable {
    private let image = Mutex<AgentImage?>(nil)

    /// The image; reads and compresses it on first use (on the calling thread).
    func load() -> AgentImage? {
        image.withLock { cached in
            if let cached { return cached }
            guard let bytes = FileDescriptor.contents(ofFile: "/proc/self/exe") else { return nil }
            let loaded = AgentImage(bytes: bytes)
            cached = loaded
            return loaded
        }
    }
}
