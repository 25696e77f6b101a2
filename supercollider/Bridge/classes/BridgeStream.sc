// BridgeStream.sc: a running stream of the bridge daemon (Bridge.stream answers one). Part of
// the Bridge quark; see Bridge.sc.
//
// Set its tempo or temperature (a perf stream's density and pitch classes too), feed it the
// performer's notes (chords too), stop it. played lists what came in as [pitch, start-beats,
// duration-beats, velocity] (starts from the time the stream started, at its tempo), ready
// for Bridge.pbind (or Bridge.chordPbind, for a perf stream's chords).

BridgeStream {
	var <bridge, <engine, <id, <played, <>onNote, <>onDone, <tempo, <done = false;
	var startTime, noteFunc, doneFunc;

	*new { |bridge, engine = \rnn| ^super.newCopyArgs(bridge, engine.asSymbol).init }

	init { played = List.new }

	prPath { |verb| ^"/bridge/%/stream/%".format(engine, verb).asSymbol }

	prReplyPath { |verb| ^"/bridge/reply/%/stream/%".format(engine, verb).asSymbol }

	prStart { |args, argTempo, argOnNote, argOnDone|
		tempo = argTempo;
		onNote = argOnNote ? { |pitch, velocity, beats, ms, latency|
			Bridge.playNote(pitch, velocity, ms, latency: latency)
		};
		onDone = argOnDone;
		noteFunc = OSCFunc({ |msg, time| this.prNote(msg, time) }, '/bridge/note');
		doneFunc = OSCFunc({ |msg| if(id.notNil and: { msg[1] == id }) { this.prDone } },
			this.prPath(\done));
		startTime = Main.elapsedTime;
		try {
			id = bridge.prRequest(this.prPath(\start), args, this.prReplyPath(\start))[0][2];
		} { |error|
			this.prFree;
			error.throw
		};
	}

	prNote { |msg, time|
		var now = Main.elapsedTime, latency;
		if(id.notNil and: { msg[1] == id }) {
			// a bundle's timetag is the note's time: with lookahead it is ahead of now
			latency = max(0, (time ? now) - now);
			played.add([msg[2], (now + latency - startTime) * tempo / 60, msg[4], msg[3]]);
			onNote.value(msg[2], msg[3], msg[4], msg[5], latency);
		}
	}

	prDone {
		done = true;
		this.prFree;
		onDone.value(this);
	}

	prFree { noteFunc.free; doneFunc.free }

	// Change tempo and/or temperature from the next step; a perf stream also takes topP,
	// density, densityHold and pitchClasses (from its next event not yet committed).
	set { |tempo, temperature, topP, density, pitchClasses, densityHold, action|
		^bridge.prRun(action, {
			var args = ["stream", id] ++ Bridge.opt("tempo", tempo)
				++ Bridge.opt("temperature", temperature) ++ Bridge.opt("top_p", topP)
				++ Bridge.prSteering(density, densityHold, pitchClasses);
			bridge.prRequest(this.prPath(\set), args, this.prReplyPath(\set));
			if(tempo.notNil) { this.prTempo(tempo.asFloat) };
			this
		}, true)
	}

	// Add the performer's notes to the stream's context (they are not played).
	feed { |notes, action|
		^bridge.prRun(action, {
			var args = ["stream", id, "notes"] ++ Bridge.wire(Bridge.quads(notes));
			bridge.prRequest(this.prPath(\feed), args, this.prReplyPath(\feed));
			this
		}, true)
	}

	// Stop the stream: the daemon ends every note it is sounding.
	stop { |action|
		^bridge.prRun(action, {
			bridge.prRequest(this.prPath(\stop), ["stream", id], this.prReplyPath(\stop));
			done = true;
			this.prFree;
			this
		}, true)
	}

	prTempo { |newTempo|
		// keep `played` starts in beats across a tempo change
		var now = Main.elapsedTime;
		startTime = now - ((now - startTime) * tempo / newTempo);
		tempo = newTempo;
	}
}
