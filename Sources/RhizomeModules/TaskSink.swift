import RhizomeWire

/// Where a running module sends its output and result. Loop thread only.
public protocol TaskSink: AnyObject {
    func taskOutput(_ stream: OutputStream, _ data: [UInt8])
    /// Called exactly once.
    func taskFinished(_ result: TaskResult)
    /// True while the link upstream is backed up; tasks stop reading their
    /// pipes until `RunningTask.resume()` is called.
    var isCongested: Bool { get }
}

/// A module instance in progress.
public protocol RunningTask: AnyObject {
    /// Kills the task's whole process group; the result says `reason`.
    func cancel(reason: String)
    /// Resumes reading output after congestion cleared.
    func resume()
}
