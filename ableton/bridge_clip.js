// bridge_clip.js: Live clip notes in and out, for the bridge Max for Live devices.
//
// Messages (inlet 0):
//   init                             check that the Live API answers (send after live.thisdevice)
//   read <tag>                       notes of the clip in Live's detail view (the selected clip):
//                                    outlet 0 gets <tag> pitch start duration velocity ...
//   write <name> <notes...>          a new clip named <name> holding the notes, in the first
//                                    empty slot of this device's track after the selected clip
//   writepoint <index> <count> <notes...>   the same, named "morph <index+1>/<count>"
//   writevariation <name> <index> <count> <notes...>   the same, named
//                                    "<name> variation <index+1>/<count>" ("<name>" when the
//                                    count is 1): one clip per indexed reply, each in the next
//                                    empty slot
//   writepart <name> <index> <count> <notes...>   one part of an answer in <count> indexed
//                                    replies (the harmonizer's voices): kept until all
//                                    <count> are in, in any order, then all written together
//                                    as one clip named <name>
// Outlet 1 gets a status line for the performer after each of these.
//
// Notes are flat quadruples like the bridge protocol's: pitch (0..127), start and duration in
// beats, velocity (1..127, kept as played). Starts are counted from the clip's loop start.
// Uses the Live 11+ note API: get_notes_extended and add_new_notes. Plain ES5 for Max's [js].

autowatch = 1;
inlets = 1;
outlets = 2;
setinletassist(0, "init | read <tag> | write <name> <notes...> | writepoint <i> <n> <notes...> | " +
    "writevariation <name> <i> <n> <notes...> | writepart <name> <i> <n> <notes...>");
setoutletassist(0, "<tag> pitch start duration velocity ...");
setoutletassist(1, "status line");

var MAX_NOTES = 1024;
var parts = {}; // writepart: name -> {count, seen: {index: true}, got, flat}

function status(text) {
    outlet(1, String(text));
}

function num(value) {
    // LiveAPI.get answers an array ([1], ["name"]); the first item is the value.
    return Number(value instanceof Array ? value[0] : value);
}

function exists(api) {
    return api && Number(api.id) !== 0;
}

function clampInt(value, lo, hi) {
    return Math.max(lo, Math.min(hi, Math.round(Number(value))));
}

function init() {
    var song = new LiveAPI("live_set");
    status(exists(song) ? "ready: select a clip" : "no Live API (is this device in Live?)");
}

function selectedClip() {
    var clip = new LiveAPI("live_set view detail_clip");
    return exists(clip) ? clip : null;
}

function read(tag) {
    tag = tag === undefined ? "notes" : String(tag);
    var clip = selectedClip();
    if (!clip) {
        status("select a MIDI clip first");
        return;
    }
    if (num(clip.get("is_midi_clip")) !== 1) {
        status("the selected clip is an audio clip; select a MIDI clip");
        return;
    }
    var from = num(clip.get("loop_start"));
    var span = num(clip.get("loop_end")) - from;
    var answer = clip.call("get_notes_extended", 0, 128, from, span);
    var data = typeof answer === "string" ? JSON.parse(answer) : answer;
    var notes = [];
    var all = (data && data.notes) || [];
    for (var i = 0; i < all.length; i++) {
        if (!all[i].mute) notes.push(all[i]);
    }
    notes.sort(function (a, b) {
        return a.start_time - b.start_time || a.pitch - b.pitch;
    });
    if (notes.length === 0) {
        status("the selected clip has no notes in its loop");
        return;
    }
    var cut = notes.length > MAX_NOTES;
    if (cut) notes = notes.slice(0, MAX_NOTES);
    var flat = [tag];
    for (var j = 0; j < notes.length; j++) {
        var n = notes[j];
        flat.push(
            clampInt(n.pitch, 0, 127),
            Math.max(0, n.start_time - from),
            Math.max(0.001, n.duration),
            clampInt(n.velocity, 1, 127)
        );
    }
    outlet(0, flat);
    var name = clip.get("name");
    status("read " + notes.length + " notes" + (cut ? " (the first " + MAX_NOTES + ")" : "") +
        " from " + (name && String(name) ? "'" + name + "'" : "the clip"));
}

function toNotes(flat) {
    if (flat.length % 4 !== 0) {
        throw new Error("a note list needs 4 numbers per note, got " + flat.length);
    }
    var notes = [];
    for (var i = 0; i < flat.length; i += 4) {
        notes.push({
            pitch: clampInt(flat[i], 0, 127),
            start_time: Math.max(0, Number(flat[i + 1])),
            duration: Math.max(0.001, Number(flat[i + 2])),
            velocity: clampInt(flat[i + 3], 1, 127),
            mute: 0
        });
    }
    return notes;
}

function thisTrack() {
    // The device's track: this_device's parent, or further up when the device is in a rack.
    var obj = new LiveAPI("this_device canonical_parent");
    for (var depth = 0; depth < 8 && exists(obj); depth++) {
        if (obj.type === "Track") return obj;
        obj = new LiveAPI(obj.unquotedpath + " canonical_parent");
    }
    return null;
}

function emptySlot(track) {
    // The first empty slot below the selected clip when it is on this track, else from the top;
    // with none left, a new scene at the end gives one.
    var first = 0;
    var clip = selectedClip();
    var m = clip && /clip_slots (\d+) clip$/.exec(clip.unquotedpath);
    if (m && clip.unquotedpath.indexOf(track.unquotedpath + " ") === 0) first = Number(m[1]) + 1;
    var count = track.getcount("clip_slots");
    for (var i = first; i < count; i++) {
        var slot = new LiveAPI(track.unquotedpath + " clip_slots " + i);
        if (num(slot.get("has_clip")) === 0) return slot;
    }
    new LiveAPI("live_set").call("create_scene", -1);
    var added = new LiveAPI(track.unquotedpath + " clip_slots " + count);
    return exists(added) ? added : null;
}

function writeClip(name, flat) {
    var notes;
    try {
        notes = toNotes(flat);
    } catch (e) {
        status(e.message);
        return;
    }
    var track = thisTrack();
    if (!track) {
        status("cannot find this device's track");
        return;
    }
    var slot = emptySlot(track);
    if (!slot) {
        status("no empty clip slot on this track");
        return;
    }
    var end = 0;
    for (var i = 0; i < notes.length; i++) {
        end = Math.max(end, notes[i].start_time + notes[i].duration);
    }
    // whole 4/4 bars; an end a hair past a bar line (float32 on the wire) stays in that bar
    var length = Math.max(4, Math.ceil(end / 4 - 0.0001) * 4);
    slot.call("create_clip", length);
    var clip = new LiveAPI(slot.unquotedpath + " clip");
    clip.set("name", name);
    if (notes.length) clip.call("add_new_notes", { notes: notes });
    status("wrote " + notes.length + " notes to '" + name + "'");
}

function write(name) {
    var args = arrayfromargs(arguments);
    writeClip(String(args.shift()), args);
}

function ordinal(index, count) {
    return Number(index) + 1 + "/" + count;
}

function writepoint(index, count) {
    var args = arrayfromargs(arguments);
    args.splice(0, 2);
    writeClip("morph " + ordinal(index, count), args);
}

function writevariation(name, index, count) {
    var args = arrayfromargs(arguments);
    args.splice(0, 3);
    var whole = Number(count) === 1 ? String(name) : name + " variation " + ordinal(index, count);
    writeClip(whole, args);
}

function writepart(name, index, count) {
    var args = arrayfromargs(arguments);
    args.splice(0, 3);
    name = String(name);
    index = Number(index);
    count = Number(count);
    if (args.length % 4 !== 0) {
        status("a note list needs 4 numbers per note, got " + args.length);
        return;
    }
    var part = parts[name];
    // a repeated index or another count is a new answer: the old one's parts are dropped
    if (!part || part.count !== count || part.seen[index]) {
        part = parts[name] = { count: count, seen: {}, got: 0, flat: [] };
    }
    part.seen[index] = true;
    part.got += 1;
    part.flat = part.flat.concat(args);
    if (part.got < count) {
        status("'" + name + "': " + part.got + " of " + count + " parts in");
        return;
    }
    delete parts[name];
    writeClip(name, part.flat);
}

function anything() {
    status("bridge_clip.js does not understand " + messagename);
}
