# Runs inside gdb (gdb -x): forces the interleaving of the dockerd 20.10 libnetwork deadlock
# on a private engine, so it happens on the first try instead of once in many thousand
# concurrent leaves. Driven by scripts/deadlock-interleave.sh, which passes:
#
#   PID      dockerd's pid              SOCK   its DOCKER_HOST value
#   A, B     two running containers on one user-defined network
#   GSR      address of (*network).getSvcRecords (entry)
#   PED_ID   address, in (*controller).processEndpointDelete, of the call to
#            (*network).ID that follows the (inlined) controller lock
#
# gdb runs in non-stop mode: a breakpoint stops only the thread that hits it, the rest of
# dockerd keeps running. The steps:
#   1. `docker stop A`: A's sandbox leave stops at the entry of getSvcRecords (no lock held).
#   2. `docker stop B`: B's leave runs through; B's endpoint deletion is handed to the
#      controller's watch loop, which stops in processEndpointDelete holding the controller
#      lock, just before (*network).ID.
#   3. A resumes: it locks the network, then waits for the controller lock.
#   4. The watch loop resumes: (*network).ID waits for the network lock. Neither can move.
import os
import subprocess
import threading

import gdb

PID = int(os.environ["PID"])
SOCK = os.environ["SOCK"]
A = os.environ["A"]
B = os.environ["B"]
GSR = int(os.environ["GSR"], 16)
PED_ID = int(os.environ["PED_ID"], 16)

state = {"phase": "stop-a"}


def log(msg):
    print(f"interleave: {msg}", flush=True)


def stop_container(name):
    subprocess.Popen(
        ["docker", "-H", SOCK, "stop", "-t", "0", name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def resume(num):
    gdb.execute(f"thread {num}", to_string=True)
    gdb.execute("continue &")


def later(seconds, fn):
    threading.Timer(seconds, lambda: gdb.post_event(fn)).start()


def step_stop_b():
    bp_a.delete()
    global bp_loop
    bp_loop = gdb.Breakpoint(f"*{PED_ID:#x}")
    log(f"A's leave is held at getSvcRecords (thread {state['a']}); stopping B")
    state["phase"] = "stop-b"
    stop_container(B)


def step_resume_a():
    bp_loop.delete()
    log(f"the watch loop holds the controller lock (thread {state['loop']}); resuming A")
    state["phase"] = "a-running"
    resume(state["a"])
    later(2, step_resume_loop)


def step_resume_loop():
    log("resuming the watch loop: it now waits for the network lock A holds")
    resume(state["loop"])
    later(2, step_finish)


def step_finish():
    log("detaching")
    gdb.execute("detach", to_string=True)
    # gdb 13 can crash in its exit handlers after a non-stop detach; nothing is left to
    # clean up once dockerd is detached, so leave at once.
    os._exit(0)


def on_stop(event):
    if not isinstance(event, gdb.BreakpointEvent):
        return
    num = event.inferior_thread.num if event.inferior_thread else gdb.selected_thread().num
    hit = [bp.number for bp in event.breakpoints]
    if state["phase"] == "stop-a" and bp_a.number in hit:
        state["a"] = num
        gdb.post_event(step_stop_b)
    elif state["phase"] == "stop-b" and bp_loop is not None and bp_loop.number in hit:
        state["loop"] = num
        gdb.post_event(step_resume_a)
    else:
        # Another goroutine passed a breakpoint meant for someone else: let it go.
        gdb.post_event(lambda: resume(num))


bp_loop = None
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set non-stop on")
for sig in ("SIGURG", "SIGPIPE", "SIGCHLD", "SIGUSR1"):
    gdb.execute(f"handle {sig} nostop noprint pass", to_string=True)
gdb.execute(f"attach {PID}", to_string=True)
gdb.events.stop.connect(on_stop)
bp_a = gdb.Breakpoint(f"*{GSR:#x}")


def start():
    # In non-stop mode the attach stops every thread, one notification each; resume them
    # once gdb has taken those in (hence from the event loop, a moment after attaching).
    gdb.execute("continue -a &")
    log(f"attached to {PID}; stopping A")
    later(1, lambda: stop_container(A))


later(1, start)
# A safety net: whatever happened, detach after 40 s so dockerd is never left stopped.
later(40, step_finish)
